import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { postgresMigrations } from '../src/migrations';
import { indexedText, searchIndexOf } from '../src/tickets/ticket-search';
import { FILE_DATABASES_ENV, POSTGRES_SERVER_ENV, createDatabase } from './support/postgres';

/*
 * PostgresSearchWords1765250000000 on a database that already holds tickets: the rows indexed before it
 * are found by their words, by prefixes of 1 to 3 characters and longer ones, internal notes by staff
 * only, and the search row itself is left holding pointers only.
 */

jest.setTimeout(60_000);

let url: string;
let database: DataSource;

async function sql<T = Record<string, unknown>>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  url = await createDatabase(process.env[POSTGRES_SERVER_ENV]!, `${process.env[FILE_DATABASES_ENV]}_words`);
  const before = postgresMigrations.slice(0, postgresMigrations.indexOf(postgresMigrations.at(-1)!));
  const old = new DataSource({
    type: 'postgres',
    url,
    migrations: before,
    migrationsTableName: 'migrations',
  });
  await old.initialize();
  await old.runMigrations();
  await old.destroy();
  await sql(`INSERT INTO "user" ("username", "usernameKey", "email", "emailKey", "passwordHash", "role", "createdAt")
             VALUES ('ada', 'ada', 'ada@example.com', 'ada@example.com', 'x', 'AGENT', 0)`);
  await sql(`INSERT INTO "project" ("name", "nameKey", "createdAt") VALUES ('Lab', 'lab', 0)`);
  for (const [id, title] of [
    [1, 'Zeppelin mooring mast wobbles'],
    [2, 'Boiler valve sticks'],
  ] as const) {
    await sql(
      `INSERT INTO "ticket" ("id", "title", "description", "status", "priority", "category", "projectId",
         "authorId", "createdAt", "updatedAt") VALUES ($1, $2, '', 0, 1, 'BUG', 1, 1, 0, 0)`,
      [id, title],
    );
  }
  await sql(
    `INSERT INTO "ticket_search" ("ticketId", "title", "description", "comments", "internalComments")
     VALUES (1, $1, $2, $3, $4), (2, $5, '', '', '')`,
    [
      indexedText('Zeppelin mooring mast wobbles'),
      indexedText('The hangar crew reports it at dawn.'),
      indexedText('Tightened the guy wires.'),
      indexedText('Quartermaster suspects sabotage.'),
      indexedText('Boiler valve sticks'),
    ],
  );
  database = new DataSource({
    type: 'postgres',
    url,
    migrations: postgresMigrations,
    migrationsTableName: 'migrations',
  });
  await database.initialize();
  await database.runMigrations();
});

afterAll(() => database?.destroy());

async function found(search: string, staff: boolean): Promise<number[]> {
  const query = searchIndexOf(database.manager).search(database.manager, search, staff);
  if (!query) throw new Error(`nothing to search in ${search}`);
  const ids = await query.ids(null, { by: 'newest' }, 10);
  expect(await query.count(null)).toBe(ids.length);
  return ids;
}

test('tickets indexed before the migration are found by words and prefixes of any length', async () => {
  for (const search of ['zeppelin', 'z', 'ze', 'zep', 'zepp', 'moor mast', 'dawn', 'guy', 'g', 'wire']) {
    expect({ search, staff: await found(search, true), user: await found(search, false) }).toEqual({
      search,
      staff: [1],
      user: [1],
    });
  }
  expect(await found('b', true)).toEqual([2]);
  expect(await found('v', true)).toEqual([2]);
  expect(await found('zep boi', true)).toEqual([]);
});

test('their internal notes are found by staff only, prefixes included', async () => {
  for (const search of ['quartermaster', 'q', 'qua', 'sabot']) {
    expect({ search, staff: await found(search, true), user: await found(search, false) }).toEqual({
      search,
      staff: [1],
      user: [],
    });
  }
});

test('a search row holds only pointers to its toasted texts and vectors', async () => {
  const [words] = await sql<{ words: string }>(
    `SELECT "staffWords"::text AS "words" FROM "ticket_search" WHERE "ticketId" = 2`,
  );
  expect(words.words).toBe(`'b' 'bo' 'boi' 'boiler' 's' 'st' 'sti' 'sticks' 'v' 'va' 'val' 'valve'`);
  // 300 rows of ~1.3 kB each (six 32-letter words, their vectors): ~50 heap pages if kept inline.
  await sql(`INSERT INTO "ticket" ("id", "title", "description", "status", "priority", "category", "projectId",
               "authorId", "createdAt", "updatedAt")
             SELECT id, 'T', '', 0, 1, 'BUG', 1, 1, 0, 0 FROM generate_series(3, 302) AS id`);
  await sql(`INSERT INTO "ticket_search" ("ticketId", "title", "description")
             SELECT id, 'row', (SELECT string_agg(md5(id::text || word::text), ' ') FROM generate_series(1, 6) AS word)
             FROM generate_series(3, 302) AS id`);
  const [heap] = await sql<{ pages: number }>(
    `SELECT (pg_relation_size('ticket_search') / current_setting('block_size')::int)::int AS "pages"`,
  );
  expect(heap.pages).toBeLessThan(12);
  expect(await searchIndexOf(database.manager).search(database.manager, 'row', true)?.count(null)).toBe(300);
});
