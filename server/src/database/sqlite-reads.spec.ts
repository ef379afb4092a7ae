import BetterSqlite3 from 'better-sqlite3';
import { type DataSource, QueryFailedError } from 'typeorm';
import { preparedCount, rowMaker, sqliteReadRows } from './sqlite-reads';

function setUp(maxQueryExecutionTime?: number) {
  const connection = new BetterSqlite3(':memory:');
  connection.exec(`
    CREATE TABLE "item" ("id" INTEGER PRIMARY KEY, "name" TEXT, "done" INTEGER NOT NULL, "data" BLOB);
    INSERT INTO "item" VALUES (1, 'one', 0, NULL), (2, NULL, 1, x'00ff'), (3, 'three', 1, NULL);
  `);
  const logger = {
    logQuery: jest.fn(),
    logQueryError: jest.fn(),
    logQuerySlow: jest.fn(),
  };
  const dataSource = { logger, options: { maxQueryExecutionTime } } as unknown as DataSource;
  const read = <T>(text: string, parameters: unknown[] = []) =>
    sqliteReadRows<T>(dataSource, connection, text, parameters);
  return { connection, logger, read };
}

describe('sqliteReadRows', () => {
  it('answers the rows better-sqlite3 would, as objects named by column, nulls and blobs included', async () => {
    const { connection, read } = setUp();
    const text = 'SELECT "id", "name", "done", "data" FROM "item" ORDER BY "id"';
    const rows = await read(text);
    expect(rows).toEqual(connection.prepare(text).all());
    expect(rows).toEqual([
      { id: 1, name: 'one', done: 0, data: null },
      { id: 2, name: null, done: 1, data: Buffer.from([0, 255]) },
      { id: 3, name: 'three', done: 1, data: null },
    ]);
    // The same text again comes from the kept statement, with other parameters.
    await expect(read('SELECT "id" FROM "item" WHERE "id" = ?', [3])).resolves.toEqual([{ id: 3 }]);
    await expect(read('SELECT "id" FROM "item" WHERE "id" = ?', [2])).resolves.toEqual([{ id: 2 }]);
  });

  it('names columns as SQLite does: aliases, and the last of two equal names wins', async () => {
    const { connection, read } = setUp();
    const text =
      'SELECT a."id", b."id", a."name" AS "label" FROM "item" a JOIN "item" b ON b."id" = a."id" + 1';
    const rows = await read(text);
    expect(rows).toEqual(connection.prepare(text).all());
    expect(rows).toEqual([
      { id: 2, label: 'one' },
      { id: 3, label: null },
    ]);
  });

  it('names any column text as its own property: quotes, backslashes, line breaks, __proto__', async () => {
    const { connection, read } = setUp();
    const text =
      'SELECT 1 AS "a""b", 2 AS "c\\d", 3 AS "e\n${x}", 4 AS "__proto__", 5 AS "constructor", 6 AS "toString"';
    const [row] = await read<Record<string, unknown>>(text);
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    expect(Object.entries(row)).toEqual([
      ['a"b', 1],
      ['c\\d', 2],
      ['e\n${x}', 3],
      ['__proto__', 4],
      ['constructor', 5],
      ['toString', 6],
    ]);
    // better-sqlite3's own objects (and assigning the names one by one) would set the prototype instead.
    expect(connection.prepare(text).get()).not.toHaveProperty('__proto__', 4);
  });

  it('makes each row a fresh object, its names in column order, the last of two equal names winning', () => {
    const make = rowMaker(['id', 'name', 'id']);
    const first = make([1, 'one', 9]);
    const second = make([2, 'two', 8]);
    expect(first).toEqual({ id: 9, name: 'one' });
    expect(second).toEqual({ id: 8, name: 'two' });
    expect(first).not.toBe(second);
    expect(Object.keys(first)).toEqual(Object.keys(second));
  });

  it('binds booleans as 0 and 1, like TypeORM', async () => {
    const { read, logger } = setUp();
    await expect(read('SELECT "id" FROM "item" WHERE "done" = ? ORDER BY "id"', [true])).resolves.toEqual([
      { id: 2 },
      { id: 3 },
    ]);
    expect(logger.logQuery).toHaveBeenCalledWith(expect.stringContaining('"done" = ?'), [1]);
  });

  it('tells the logger of each statement, so the per-request SQL counts see it', async () => {
    const { read, logger } = setUp();
    await read('SELECT 1 AS "one"');
    await read('SELECT 1 AS "one"');
    expect(logger.logQuery).toHaveBeenCalledTimes(2);
    expect(logger.logQueryError).not.toHaveBeenCalled();
  });

  it('rejects (never throws) with TypeORM’s QueryFailedError, logged, for a bad statement or bad parameters', async () => {
    const { read, logger } = setUp();
    let pending: Promise<unknown> | undefined;
    expect(() => (pending = read('SELECT "nope" FROM "item"'))).not.toThrow();
    await expect(pending).rejects.toBeInstanceOf(QueryFailedError);
    await expect(read('SELECT "id" FROM "item" WHERE "id" = ?', [])).rejects.toBeInstanceOf(QueryFailedError);
    expect(logger.logQueryError).toHaveBeenCalledTimes(2);
  });

  it('refuses a statement that writes, and writes nothing', async () => {
    const { connection, read } = setUp();
    await expect(read(`UPDATE "item" SET "name" = 'changed' WHERE "id" = 1`)).rejects.toBeInstanceOf(
      QueryFailedError,
    );
    await expect(read(`DELETE FROM "item" RETURNING "id"`)).rejects.toBeInstanceOf(QueryFailedError);
    // A PRAGMA that sets the connection's busy timeout returns a row and counts as read-only to SQLite.
    const timeout = connection.pragma('busy_timeout', { simple: true }) as number;
    for (const pragma of ['PRAGMA busy_timeout = 1', ' /* x */ -- y\n pragma busy_timeout = 1']) {
      await expect(read(pragma)).rejects.toBeInstanceOf(QueryFailedError);
    }
    expect(connection.pragma('busy_timeout', { simple: true })).toBe(timeout);
    expect(connection.prepare('SELECT count(*) AS n FROM "item" WHERE "name" = ?').get('one')).toEqual({
      n: 1,
    });
    expect(connection.prepare('SELECT count(*) AS n FROM "item"').get()).toEqual({ n: 3 });
  });

  it('keeps at most 200 statements, the most recently used, and none with over 512 parameters', async () => {
    const { connection, read } = setUp();
    const hot = 'SELECT "id" FROM "item" WHERE "id" = ?';
    await read(hot, [1]);
    for (let n = 0; n < 300; n++) {
      await read(`SELECT ${n} AS "n" FROM "item" WHERE "id" = ?`, [1]);
      if (n % 50 === 0) await read(hot, [2]);
    }
    expect(preparedCount(connection)).toBe(200);
    // The statement read all along is still kept: preparing it again would add an entry.
    const prepare = jest.spyOn(connection, 'prepare');
    await read(hot, [3]);
    expect(prepare).not.toHaveBeenCalled();

    const many = Array.from({ length: 600 }, () => 1);
    const text = `SELECT "id" FROM "item" WHERE "id" IN (${many.map(() => '?').join(', ')})`;
    await expect(read(text, many)).resolves.toEqual([{ id: 1 }]);
    await expect(read(text, many)).resolves.toEqual([{ id: 1 }]);
    expect(prepare).toHaveBeenCalledTimes(2);
    expect(preparedCount(connection)).toBe(200);
  });

  it('forgets the least recently used statement when full, not the oldest or the newest', async () => {
    const { connection, read } = setUp();
    const text = (n: number) => `SELECT ${n} AS "n" FROM "item" WHERE "id" = ?`;
    for (let n = 0; n < 200; n++) await read(text(n), [1]);
    // Statement 0, prepared first, is used again: 1 is now the least recently used.
    await read(text(0), [1]);
    await read(text(200), [1]);
    expect(preparedCount(connection)).toBe(200);
    const prepare = jest.spyOn(connection, 'prepare');
    await read(text(0), [1]);
    await read(text(200), [1]);
    await read(text(199), [1]);
    expect(prepare).not.toHaveBeenCalled();
    await read(text(1), [1]);
    expect(prepare).toHaveBeenCalledTimes(1);
  });

  it('keeps reading right when more statement texts are used than it keeps prepared', async () => {
    const { read } = setUp();
    for (let n = 0; n < 450; n++) {
      await expect(
        read(`SELECT ${n} AS "n", "id" FROM "item" WHERE "id" = ?`, [1 + (n % 3)]),
      ).resolves.toEqual([{ n, id: 1 + (n % 3) }]);
    }
  });

  it('reports a slow read to the logger', async () => {
    const { connection, read, logger } = setUp(1);
    connection.function('slow', () => {
      const until = Date.now() + 20;
      while (Date.now() < until);
      return 1;
    });
    await read('SELECT slow() AS "s"');
    expect(logger.logQuerySlow).toHaveBeenCalledWith(expect.any(Number), 'SELECT slow() AS "s"', []);
  });
});
