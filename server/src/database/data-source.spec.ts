import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { type Database, openDatabase } from './data-source';
import { StorageUnavailableError } from './storage-fault';

/** The transaction helper's promises: the connection's own state is the truth after any failure. */
let dataDir: string;
let database: Database;
const connectionOf = (db: Database) =>
  (db.dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
const count = async () =>
  Number((await database.dataSource.query('SELECT COUNT(*) AS n FROM "revoked_token"'))[0].n);
const insert = (jti: string) =>
  database.transaction((manager) =>
    manager.query('INSERT INTO "revoked_token" ("jti", "expiresAt") VALUES (?, 0)', [jti]),
  );

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-db-spec-'));
  database = await openDatabase({ dataDir, databaseUrl: '' });
});
afterEach(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a failing piece of work is rolled back and the next transaction is a real one, not a savepoint', async () => {
  await expect(
    database.transaction(async (manager) => {
      await manager.query('INSERT INTO "revoked_token" ("jti", "expiresAt") VALUES (?, 0)', ['a']);
      throw new Error('rule refused');
    }),
  ).rejects.toThrow('rule refused');
  expect(connectionOf(database).inTransaction).toBe(false);
  await insert('b');
  expect(connectionOf(database).inTransaction).toBe(false);
  expect(await count()).toBe(1);
});

test('a transaction left open outside the queue is rolled back before the next one starts', async () => {
  connectionOf(database).exec('BEGIN');
  connectionOf(database).exec(`INSERT INTO "revoked_token" ("jti", "expiresAt") VALUES ('stray', 0)`);
  await insert('queued');
  expect(connectionOf(database).inTransaction).toBe(false);
  expect(await count()).toBe(1);
});

test('a full database answers StorageUnavailableError, leaves no transaction open, and takes writes again once it has room', async () => {
  const [{ page_count: pages }] = await database.dataSource.query('PRAGMA page_count');
  await database.dataSource.query(`PRAGMA max_page_count = ${Number(pages)}`);
  const big = 'x'.repeat(64 * 1024);
  await expect(
    database.transaction((manager) =>
      manager.query('INSERT INTO "revoked_token" ("jti", "expiresAt") VALUES (?, 0)', [big]),
    ),
  ).rejects.toBeInstanceOf(StorageUnavailableError);
  expect(connectionOf(database).inTransaction).toBe(false);
  await database.dataSource.query('PRAGMA max_page_count = 1073741823');
  await insert('after');
  expect(await count()).toBe(1);
  expect(await database.health(Date.now() + 5000)).toEqual({ ok: true });
});

test('when ROLLBACK cannot restore the connection, it is declared unusable: no more writes, unhealthy', async () => {
  const connection = connectionOf(database);
  const fatal = jest.fn();
  database.on('fatal', fatal);
  const exec = jest.spyOn(connection, 'exec').mockImplementation(() => {
    throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
  });
  await expect(
    database.transaction(async (manager) => {
      await manager.query('INSERT INTO "revoked_token" ("jti", "expiresAt") VALUES (?, 0)', ['x']);
      throw new Error('rule refused');
    }),
  ).rejects.toThrow('rule refused');
  exec.mockRestore();
  expect(fatal).toHaveBeenCalledTimes(1);
  await expect(insert('refused')).rejects.toBeInstanceOf(StorageUnavailableError);
  expect(await database.health()).toEqual({ ok: false, detail: 'the connection is unusable' });
  connection.exec('ROLLBACK');
});

test('close() moves the WAL into the main file', async () => {
  await insert('durable');
  await database.close();
  expect(fs.existsSync(path.join(dataDir, 'ticketing.sqlite-wal'))).toBe(false);
  database = await openDatabase({ dataDir, databaseUrl: '' });
  expect(await count()).toBe(1);
});
