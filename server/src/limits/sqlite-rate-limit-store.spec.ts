import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RateLimitedError } from '../errors';
import type { RateLimitSpec } from './rate-limit';
import { SqliteRateLimitStore, limitsFileBeside } from './sqlite-rate-limit-store';

const SPEC: RateLimitSpec = { name: 'attempts', points: 3, durationSeconds: 60, message: 'Slow down.' };

let folder: string;
let file: string;
const stores: SqliteRateLimitStore[] = [];
/** The library reads the system time: tests move Date.now, as a ManualClock moves the service's time. */
let shift = 0;
const realNow = Date.now.bind(Date);
const advance = (ms: number) => {
  shift += ms;
};

function openStore(at = file): SqliteRateLimitStore {
  const store = new SqliteRateLimitStore(at);
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

beforeEach(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-limits-'));
  file = path.join(folder, 'ticketing.limits.sqlite');
  shift = 0;
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + shift);
});

afterEach(async () => {
  jest.restoreAllMocks();
  await Promise.all(stores.splice(0).map((store) => store.close()));
  fs.rmSync(folder, { recursive: true, force: true });
});

test('the file sits beside the database, named after it', () => {
  expect(limitsFileBeside('/srv/data/ticketing.sqlite')).toBe('/srv/data/ticketing.limits.sqlite');
  expect(limitsFileBeside('/srv/other.db')).toBe('/srv/other.limits.sqlite');
  expect(limitsFileBeside('/srv/plain')).toBe('/srv/plain.limits.sqlite');
});

test('two stores on one file (two processes) share one count', async () => {
  const first = openStore().limit(SPEC);
  const second = openStore().limit(SPEC);
  await first.consume('client-a');
  await second.consume('client-a');
  await first.consume('client-a');
  const refusal = await refusalOf(second.consume('client-a'));
  expect(refusal.extensions).toEqual({ code: 'RATE_LIMITED', retryAfterSeconds: 60 });
  expect(refusal.message).toBe('Slow down.');
  await refusalOf(first.consume('client-a'));
  // Another key has its own allowance, in both.
  expect((await second.consume('client-b')).remaining).toBe(2);
  expect((await first.state('client-b')).consumed).toBe(1);
});

test('a window lasts its duration from the first count; then the whole allowance is back', async () => {
  const limit = openStore().limit(SPEC);
  await limit.consume('key');
  advance(20_000);
  await limit.consume('key');
  await limit.consume('key');
  advance(10_000);
  const refusal = await refusalOf(limit.consume('key'));
  expect(refusal.extensions.retryAfterSeconds).toBe(30);
  await refusalOf(limit.assertAllowed('key'));
  advance(30_000);
  await limit.assertAllowed('key');
  expect(await limit.consume('key')).toMatchObject({ consumed: 1, remaining: 2 });
  expect((await limit.state('key')).msBeforeReset).toBeGreaterThan(59_000);
});

test('state and assertAllowed count nothing; reward gives back; clear forgets the key', async () => {
  const limit = openStore().limit(SPEC);
  expect(await limit.state('key')).toEqual({ consumed: 0, remaining: 3, msBeforeReset: 60_000 });
  await limit.consume('key', 2);
  await limit.assertAllowed('key');
  await limit.assertAllowed('key');
  expect((await limit.state('key')).consumed).toBe(2);
  const refused = await limit.tryConsume('key', 2);
  expect(refused).toMatchObject({ allowed: false, consumed: 4, remaining: 0 });
  await limit.reward('key', 2);
  expect(await limit.tryConsume('key', 1)).toMatchObject({ allowed: true, consumed: 3 });
  await limit.clear('key');
  expect((await limit.state('key')).consumed).toBe(0);
});

test('one name is one limit in a process: asking again gives the same, other figures are refused', () => {
  const store = openStore();
  expect(store.limit({ ...SPEC, message: 'Other words.' })).toBe(store.limit(SPEC));
  expect(() => store.limit({ ...SPEC, points: 4 })).toThrow(/already defined with other figures/);
});

test('the file is private (0600) and keys longer than a stored key are kept as their hash', async () => {
  const store = openStore();
  const limit = store.limit(SPEC);
  const long = `reset:${'x'.repeat(300)}@example.com`;
  await limit.consume(long);
  await limit.consume(long);
  expect((await limit.state(long)).consumed).toBe(2);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const keys = store.connection!.prepare('SELECT key FROM rate_limit').all() as { key: string }[];
  expect(keys.map((row) => row.key)).toEqual([expect.stringMatching(/^attempts:sha256:[0-9a-f]{64}$/)]);
});

/** SQLite's max_page_count as a full disk: no new page, and the last pages filled with rows. */
function fill(store: SqliteRateLimitStore): void {
  const connection = store.connection!;
  const pages = Number(connection.pragma('page_count', { simple: true }));
  connection.pragma(`max_page_count = ${pages}`);
  const insert = connection.prepare('INSERT INTO rate_limit (key, points, expire) VALUES (?, 1, ?)');
  let row = 0;
  for (const size of [2000, 200, 1]) {
    for (;;) {
      try {
        insert.run(`filler:${'x'.repeat(size)}:${(row += 1)}`, realNow() + 3_600_000);
      } catch (error) {
        expect(String(error)).toMatch(/full/);
        break;
      }
    }
  }
}

test('a full disk: limits still refuse, counting in memory, and report it; those counts still count after', async () => {
  const store = openStore();
  const faults: unknown[] = [];
  store.on('fault', (error) => faults.push(error));
  const limit = store.limit(SPEC);
  await limit.consume('other');
  fill(store);

  for (let attempt = 1; attempt <= 3; attempt += 1) await limit.consume('key');
  const refusal = await refusalOf(limit.consume('key'));
  expect(refusal.extensions.retryAfterSeconds).toBe(60);
  expect(faults).toEqual([
    expect.objectContaining({ message: expect.stringMatching(/counts in this process's memory/) }),
  ]);
  expect(
    store.connection!.prepare("SELECT COUNT(*) AS n FROM rate_limit WHERE key LIKE 'attempts:%'").get(),
  ).toEqual({
    n: 1,
  });

  // Room again: new counts go to the file, and the 3 made in memory are still there with them.
  store.connection!.pragma('max_page_count = 1073741823');
  await refusalOf(limit.consume('key'));
  expect(store.connection!.prepare("SELECT points FROM rate_limit WHERE key = 'attempts:key'").get()).toEqual(
    { points: 1 },
  );
  expect((await limit.state('key')).consumed).toBe(5);
  await limit.clear('key');
  expect(await limit.consume('key')).toMatchObject({ consumed: 1 });
});

test('a store that cannot be opened counts in memory, says why, and is tried again 30 seconds later', async () => {
  const missing = path.join(folder, 'not-yet', 'ticketing.limits.sqlite');
  const store = openStore(missing);
  const faults: unknown[] = [];
  store.on('fault', (error) => faults.push(error));
  expect(await store.prepare()).toBe(false);
  expect(faults[0]).toMatchObject({ code: 'ENOENT' });
  const limit = store.limit(SPEC);
  for (let attempt = 1; attempt <= 3; attempt += 1) await limit.consume('key');
  await refusalOf(limit.consume('key'));

  fs.mkdirSync(path.dirname(missing));
  advance(29_000);
  await refusalOf(limit.consume('key'));
  expect(fs.existsSync(missing)).toBe(false);
  advance(1_000);
  await refusalOf(limit.consume('key'));
  expect(fs.existsSync(missing)).toBe(true);
  expect(store.connection!.prepare('SELECT COUNT(*) AS n FROM rate_limit').get()).toEqual({ n: 1 });
});

test('expired rows are swept every few minutes by a request that counts anyway', async () => {
  const store = openStore();
  const limit = store.limit(SPEC);
  await limit.consume('early');
  advance(60 * 60_000 + 61_000);
  await limit.consume('late');
  const keys = () =>
    (store.connection!.prepare('SELECT key FROM rate_limit').all() as { key: string }[]).map((r) => r.key);
  // The sweep runs beside the request: give it its turn.
  await new Promise((resolve) => setImmediate(resolve));
  expect(keys()).toEqual(['attempts:late']);
});

test('once closed, the file is let go and limits still answer, from memory', async () => {
  const store = openStore();
  const limit = store.limit(SPEC);
  await limit.consume('key');
  await store.close();
  expect(store.connection).toBeNull();
  for (let attempt = 1; attempt <= 3; attempt += 1) await limit.consume('key');
  await refusalOf(limit.consume('key'));
  // Nothing keeps the file open: a new store opens it and finds the count made before the close.
  expect((await openStore().limit(SPEC).state('key')).consumed).toBe(1);
});
