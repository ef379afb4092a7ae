import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { Client } from 'pg';
import { FILE_DATABASES_ENV, POSTGRES_SERVER_ENV, TEST_DATABASE_ENV, createDatabase } from './postgres';

/*
 * What a test file needs to know of the database it runs on. The same integration specs run in two
 * jest projects: `integration` (SQLite, a file in the data folder) and `integration (postgres)`, whose
 * test environment sets SIMPLE_TICKETING_TEST_DATABASE=postgres and drops the file's databases after it.
 */

/** Whether this test file runs in the `integration (postgres)` project. */
export const onPostgres = process.env[TEST_DATABASE_ENV] === 'postgres';

/** For tests of the SQLite file itself (WAL, pragmas, a damaged or replaced file): skipped on PostgreSQL. */
export const describeOnSqlite: jest.Describe = onPostgres ? describe.skip : describe;
/** For a test of the SQLite file itself: skipped on PostgreSQL. */
export const testOnSqlite: jest.It = onPostgres ? test.skip : test;

/** What a service started on a data folder is given: both empty on SQLite (the file and secret in the folder). */
export interface TestDatabase {
  databaseUrl: string;
  /** PostgreSQL needs JWT_SECRET: instances sharing a database must share it too (no file in the folder). */
  jwtSecret: string;
}

/** One database per data folder, so that a service restarted on its folder finds its data again. */
const databases = new Map<string, Promise<TestDatabase>>();

/**
 * The database of a service whose data folder is dataDir: on SQLite the file in dataDir (nothing to
 * set), and on PostgreSQL a fresh empty database made on first use, with a token secret of its own, the
 * same for every later start on dataDir.
 */
export function testDatabaseFor(dataDir: string): Promise<TestDatabase> {
  if (!onPostgres) return Promise.resolve({ databaseUrl: '', jwtSecret: '' });
  const key = path.resolve(dataDir);
  let database = databases.get(key);
  if (!database) {
    const server = process.env[POSTGRES_SERVER_ENV];
    const prefix = process.env[FILE_DATABASES_ENV];
    if (!server || !prefix) {
      throw new Error(
        `${POSTGRES_SERVER_ENV} or ${FILE_DATABASES_ENV} is not set: run PostgreSQL tests through the ` +
          `'integration (postgres)' jest project, whose global setup and test environment set them.`,
      );
    }
    const name = `${prefix}_${randomBytes(4).toString('hex')}`;
    database = createDatabase(server, name).then((databaseUrl) => ({
      databaseUrl,
      jwtSecret: randomBytes(24).toString('hex'),
    }));
    databases.set(key, database);
  }
  return database;
}

/**
 * Runs one statement (`?` placeholders) on the database of the service whose data folder is dataDir,
 * from outside the service (it may be stopped or killed): the SQLite file through its own connection,
 * or the folder's PostgreSQL database through a client of its own. Returns the rows and how many
 * rows an UPDATE, INSERT or DELETE changed.
 */
export async function sqlBeside<T = Record<string, unknown>>(
  dataDir: string,
  text: string,
  ...parameters: unknown[]
): Promise<{ rows: T[]; changes: number }> {
  if (!onPostgres) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Sqlite = require('better-sqlite3') as typeof import('better-sqlite3');
    const db = new Sqlite(path.join(dataDir, 'ticketing.sqlite'));
    try {
      const statement = db.prepare(text);
      if (statement.reader) return { rows: statement.all(...parameters) as T[], changes: 0 };
      return { rows: [], changes: statement.run(...parameters).changes };
    } finally {
      db.close();
    }
  }
  const { databaseUrl } = await testDatabaseFor(dataDir);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    let index = 0;
    const result = await client.query(
      text.replace(/\?/g, () => `$${++index}`),
      parameters,
    );
    return { rows: result.rows as T[], changes: result.rowCount ?? 0 };
  } finally {
    await client.end();
  }
}
