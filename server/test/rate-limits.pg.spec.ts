import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { RateLimitedError } from '../src/errors';
import { PostgresRateLimitStore } from '../src/limits/postgres-rate-limit-store';
import type { RateLimitSpec } from '../src/limits/rate-limit';
import { testDatabaseFor } from './support/postgres-project';

/* The PostgreSQL store of rate limits (server/src/limits), on a database of its own: what its SQLite twin's spec proves. */

const SPEC: RateLimitSpec = { name: 'attempts', points: 3, durationSeconds: 60, message: 'Slow down.' };

let folder: string;
let databaseUrl: string;
const dataSources: DataSource[] = [];
const stores: PostgresRateLimitStore[] = [];
/** The library reads the system time: tests move Date.now, as a ManualClock moves the service's time. */
let shift = 0;
const realNow = Date.now.bind(Date);

/** A service instance's worth: its own pool on the one database, and its own store. */
async function openStore(): Promise<PostgresRateLimitStore> {
  const dataSource = await new DataSource({ type: 'postgres', url: databaseUrl, poolSize: 2 }).initialize();
  dataSources.push(dataSource);
  const store = new PostgresRateLimitStore(dataSource);
  stores.push(store);
  return store;
}

async function refusalOf(work: Promise<unknown>): Promise<RateLimitedError> {
  const error = await work.then(
    () => null,
    (thrown: unknown) => thrown,
  );
  if (!(error instanceof RateLimitedError)) throw new Error(`expected RATE_LIMITED, got ${String(error)}`);
  return error;
}

beforeAll(async () => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-limits-pg-'));
  databaseUrl = (await testDatabaseFor(folder)).databaseUrl;
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await Promise.all(dataSources.map((dataSource) => dataSource.destroy()));
  fs.rmSync(folder, { recursive: true, force: true });
});

beforeEach(() => {
  shift = 0;
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + shift);
});
afterEach(() => jest.restoreAllMocks());

test('two instances on one database share one count; the library made its table', async () => {
  const first = (await openStore()).limit(SPEC);
  const second = (await openStore()).limit(SPEC);
  await Promise.all([first.consume('client-a'), second.consume('client-a'), first.consume('client-a')]);
  const refusal = await refusalOf(second.consume('client-a'));
  expect(refusal.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 60 });
  await refusalOf(first.consume('client-a'));
  expect((await second.consume('client-b')).remaining).toBe(2);
  const [table] = await dataSources[0].query(`SELECT to_regclass('public.rate_limit') AS name`);
  expect(table.name).toBe('rate_limit');
});

test('parallel consumes on one key never pass more than the allowance (the atomic upsert)', async () => {
  const limits = [(await openStore()).limit(SPEC), (await openStore()).limit(SPEC)];
  const outcomes = await Promise.all(
    Array.from({ length: 12 }, (_, i) => limits[i % 2].tryConsume('parallel', 1)),
  );
  expect(outcomes.filter((outcome) => outcome.allowed)).toHaveLength(3);
});

test('a window lasts its duration from the first count; reward gives back; clear forgets', async () => {
  const limit = (await openStore()).limit(SPEC);
  await limit.consume('window');
  shift += 20_000;
  await limit.consume('window', 2);
  expect((await refusalOf(limit.consume('window'))).extensions.retryAfterSeconds).toBe(40);
  await limit.reward('window', 2);
  expect(await limit.tryConsume('window', 1)).toMatchObject({ allowed: true, consumed: 3 });
  shift += 40_000;
  expect(await limit.consume('window')).toMatchObject({ consumed: 1, remaining: 2 });
  await limit.clear('window');
  expect((await limit.state('window')).consumed).toBe(0);
});

test('a key longer than the table allows (varchar 255) is kept as its hash', async () => {
  const limit = (await openStore()).limit(SPEC);
  const long = `reset:${'x'.repeat(300)}@example.com`;
  await limit.consume(long);
  await limit.consume(long);
  expect((await limit.state(long)).consumed).toBe(2);
  // Counted in the table, not by the memory a refused key would fall back on.
  const rows = await dataSources
    .at(-1)!
    .query(`SELECT points FROM rate_limit WHERE key LIKE 'attempts:sha256:%'`);
  expect(rows).toEqual([{ points: 2 }]);
});

test('a store that fails: limits count in memory and report it; those counts still count after', async () => {
  const store = await openStore();
  const faults: unknown[] = [];
  store.on('fault', (error) => faults.push(error));
  const limit = store.limit(SPEC);
  await limit.consume('other');
  await dataSources.at(-1)!.query('ALTER TABLE rate_limit RENAME TO rate_limit_away');
  try {
    for (let attempt = 1; attempt <= 3; attempt += 1) await limit.consume('outage');
    await refusalOf(limit.consume('outage'));
    expect(faults).toEqual([expect.objectContaining({ message: expect.stringMatching(/memory/) })]);
  } finally {
    await dataSources.at(-1)!.query('ALTER TABLE rate_limit_away RENAME TO rate_limit');
  }
  await refusalOf(limit.consume('outage'));
  const [row] = await dataSources
    .at(-1)!
    .query(`SELECT points FROM rate_limit WHERE key = 'attempts:outage'`);
  expect(row).toEqual({ points: 1 });
});
