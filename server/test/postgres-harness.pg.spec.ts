import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import {
  FILE_DATABASES_ENV,
  POSTGRES_SERVER_ENV,
  createDatabase,
  databasesStartingWith,
  dropDatabasesStartingWith,
} from './support/postgres';
import { onPostgres, testDatabaseFor } from './support/postgres-project';

/* The harness of the PostgreSQL project itself: each data folder gets its own fresh, empty database. */

// On a TEST_DATABASE_URL server that syncs to disk, each DROP DATABASE waits for a checkpoint (~1 s).
jest.setTimeout(30_000);

const server = process.env[POSTGRES_SERVER_ENV]!;
const filePrefix = process.env[FILE_DATABASES_ENV]!;
let folder: string;
const clients: Client[] = [];

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

async function tablesIn(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT table_schema || '.' || table_name AS name FROM information_schema.tables
     WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1`,
  );
  return rows.map((row) => row.name);
}

const nameOf = (url: string) => new URL(url).pathname.slice(1);

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-pg-harness-'));
});
afterAll(async () => {
  for (const client of clients) await client.end().catch(() => undefined);
  fs.rmSync(folder, { recursive: true, force: true });
});

test('the test file runs on PostgreSQL, with a server and a prefix of its own', () => {
  expect(onPostgres).toBe(true);
  expect(server).toMatch(/^postgres(ql)?:\/\//);
  expect(filePrefix).toMatch(/^simple_ticketing_test_[0-9a-f]{6}_[0-9a-f]{6}$/);
});

test('two data folders get two distinct, empty databases; a folder started again gets its own back', async () => {
  const started = Date.now();
  const { databaseUrl: first, jwtSecret } = await testDatabaseFor(path.join(folder, 'first'));
  const second = (await testDatabaseFor(path.join(folder, 'second'))).databaseUrl;
  console.log(`two databases created in ${Date.now() - started} ms`);

  expect(nameOf(first)).not.toBe(nameOf(second));
  for (const url of [first, second]) expect(nameOf(url).startsWith(`${filePrefix}_`)).toBe(true);
  expect(await testDatabaseFor(path.join(folder, 'first'))).toEqual({ databaseUrl: first, jwtSecret });
  expect(jwtSecret.length).toBeGreaterThanOrEqual(32);
  expect((await testDatabaseFor(`${folder}/./second/`)).databaseUrl).toBe(second);

  const one = await connect(first);
  const two = await connect(second);
  expect((await one.query('SELECT current_database() AS name')).rows[0].name).toBe(nameOf(first));
  expect((await two.query('SELECT current_database() AS name')).rows[0].name).toBe(nameOf(second));
  expect(await tablesIn(one)).toEqual([]);
  expect(await tablesIn(two)).toEqual([]);

  // What one service writes, the other does not see.
  await one.query('CREATE TABLE "ticket" ("id" serial PRIMARY KEY, "title" text NOT NULL)');
  await one.query(`INSERT INTO "ticket" ("title") VALUES ('The lamp flickers')`);
  expect(await tablesIn(one)).toEqual(['public.ticket']);
  expect(await tablesIn(two)).toEqual([]);
  expect(await databasesStartingWith(server, filePrefix)).toEqual([nameOf(first), nameOf(second)].sort());
});

test('the drop after a test file removes its databases, even one a server is still connected to', async () => {
  const prefix = `${filePrefix}_dropped`;
  const kept = await createDatabase(server, `${filePrefix}_kept`);
  const open = await createDatabase(server, `${prefix}_open`);
  const idle = await createDatabase(server, `${prefix}_idle`);
  const stillConnected = await connect(open);
  stillConnected.on('error', () => undefined); // its connection is ended by the drop, as intended

  expect(await dropDatabasesStartingWith(server, prefix)).toEqual([nameOf(idle), nameOf(open)]);
  expect(await databasesStartingWith(server, prefix)).toEqual([]);
  await expect(stillConnected.query('SELECT 1')).rejects.toThrow();
  // Only the names under the prefix went.
  expect(await databasesStartingWith(server, nameOf(kept))).toEqual([nameOf(kept)]);
});

test('refuses a prefix that is not of test databases, so it can never drop another database', async () => {
  await expect(dropDatabasesStartingWith(server, 'postgres')).rejects.toThrow(
    /not a prefix of test databases/,
  );
  await expect(createDatabase(server, 'Robert"; DROP DATABASE postgres; --')).rejects.toThrow(
    /not a test database name/,
  );
});
