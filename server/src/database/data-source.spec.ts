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

test('transactions waiting together share one COMMIT; one failing is rolled back alone, after its writes', async () => {
  const committed = jest.fn();
  database.on('committed', committed);
  const outcomes = await Promise.allSettled(
    Array.from({ length: 10 }, (_, i) =>
      database.transaction(async (manager) => {
        await manager.query('INSERT INTO "revoked_token" ("jti", "expiresAt") VALUES (?, 0)', [`t${i}`]);
        if (i === 4) throw new Error('unit 4 refused');
        return i;
      }),
    ),
  );
  expect(outcomes.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : 'refused'))).toEqual([
    0,
    1,
    2,
    3,
    'refused',
    5,
    6,
    7,
    8,
    9,
  ]);
  expect(committed).toHaveBeenCalledTimes(1);
  expect(connectionOf(database).inTransaction).toBe(false);
  const rows = await database.dataSource.query('SELECT "jti" FROM "revoked_token" ORDER BY "jti"');
  expect(rows.map((row: { jti: string }) => row.jti)).toEqual([
    't0',
    't1',
    't2',
    't3',
    't5',
    't6',
    't7',
    't8',
    't9',
  ]);
});

test('a failed COMMIT fails every transaction of the group, and none of their writes stays', async () => {
  const connection = connectionOf(database);
  // The SQLite driver has one query runner, the one every transaction runs on.
  const runner = database.dataSource.createQueryRunner();
  const query = runner.query.bind(runner);
  const failCommit = jest.spyOn(runner, 'query').mockImplementation((sql: string, ...rest: unknown[]) => {
    if (sql === 'COMMIT') throw Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    return (query as (...args: unknown[]) => Promise<unknown>)(sql, ...rest);
  });
  const outcomes = await Promise.allSettled([insert('a'), insert('b'), insert('c')]);
  failCommit.mockRestore();
  expect(outcomes.map((outcome) => outcome.status === 'rejected' && outcome.reason)).toEqual([
    expect.any(StorageUnavailableError),
    expect.any(StorageUnavailableError),
    expect.any(StorageUnavailableError),
  ]);
  expect(connection.inTransaction).toBe(false);
  expect(await count()).toBe(0);
  await insert('d');
  expect(await count()).toBe(1);
});

test('a read that throws before returning a promise is answered with its error, and the line goes on', async () => {
  const broken = database.readCommitted((): Promise<number> => {
    throw new Error('thrown at once');
  });
  await expect(broken).rejects.toThrow('thrown at once');
  await insert('after');
  expect(await database.readCommitted(() => count())).toBe(1);
});
