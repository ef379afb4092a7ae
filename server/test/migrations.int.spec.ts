import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { hashPassword } from '../src/auth/password';
import { dataSourceOptions } from '../src/database/data-source';
import { Initial1764072000000 } from '../src/migrations/1764072000000-initial';
import { TICKET } from './support/operations';
import { TestApi } from './support/test-server';

/**
 * The migrations on a database that already holds data: made by the first release (first migration
 * only), then opened by the current service, which must bring it up to date without losing anything.
 */

const EXPECTED_MIGRATIONS = [
  'Initial1764072000000',
  'Instance1764500000000',
  'LoginAttempts1764600000000',
  'Outbox1764800000000',
  'ApiTokens1764900000000',
  'Webhooks1764900100000',
  'RateLimits1765000000000',
  'StatsIndexes1765100000000',
  'SearchPrefixes1765200000000',
  'UserDeactivation1765300000000',
  'TicketDuplicateOf1765400000000',
  'Attachments1765500000000',
  'JobAuthorRole1765600000000',
  'TeamFigures1765700000000',
  'SavedViews1765800000000',
  'TeamTable1765810000000',
];

const keeper = { id: 1, username: 'keeper', password: 'lighthouse keeper 1907' };
const locked = { id: 2, username: 'locked', password: 'a perfectly good passphrase' };
const ticketId = 1;

/** A database of the first release: an ADMIN, a USER whose account is locked, and one ticket. */
async function createFirstReleaseDatabase(dataDir: string): Promise<void> {
  const dataSource = new DataSource({
    ...dataSourceOptions({ dataDir, databaseUrl: '' }),
    migrations: [Initial1764072000000],
  });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    const now = Date.now();
    for (const [user, role] of [
      [keeper, 'ADMIN'],
      [locked, 'USER'],
    ] as const) {
      await dataSource.query(
        `INSERT INTO "user" ("id", "username", "usernameKey", "email", "emailKey", "passwordHash", "role", "createdAt")
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          user.id,
          user.username,
          user.username,
          `${user.username}@example.com`,
          `${user.username}@example.com`,
          await hashPassword(user.password),
          role,
          now,
        ],
      );
    }
    // The old schema counted failures by account id: 10 in the last few minutes lock the account.
    for (let i = 1; i <= 10; i += 1) {
      await dataSource.query(`INSERT INTO "login_failure" ("userId", "at") VALUES (?, ?)`, [
        locked.id,
        now - i * 10_000,
      ]);
    }
    await dataSource.query(
      `INSERT INTO "project" ("id", "name", "nameKey", "description", "createdAt")
       VALUES (1, 'Lighthouse', 'lighthouse', 'The lamp and its keepers.', ?)`,
      [now],
    );
    await dataSource.query(
      `INSERT INTO "ticket" ("id", "title", "description", "status", "priority", "category", "projectId",
         "authorId", "createdAt", "updatedAt")
       VALUES (?, 'The lamp flickers', 'Every night since Tuesday.', 0, 2, 'BUG', 1, ?, ?, ?)`,
      [ticketId, locked.id, now - 60_000, now - 60_000],
    );
    // The keeper's internal note, then their answer 30 s after the opening: the first response.
    for (const [at, comment, internal] of [
      [now - 50_000, 'The keeper suspects the wiring.', 1],
      [now - 30_000, 'A new bulb is on its way.', 0],
    ] as const) {
      await dataSource.query(
        `INSERT INTO "job" ("ticketId", "authorId", "createdAt", "comment", "internal", "status", "changes")
         VALUES (?, ?, ?, ?, ?, 0, '[]')`,
        [ticketId, keeper.id, at, comment, internal],
      );
    }
    await dataSource.query(
      `INSERT INTO "ticket_search" (rowid, title, description, comments, internal_comments)
       VALUES (?, 'The lamp flickers', 'Every night since Tuesday.', '', 'The keeper suspects the wiring.')`,
      [ticketId],
    );
  } finally {
    await dataSource.destroy();
  }
}

describe('migrations on a database of the first release, with data', () => {
  let dataDir: string;
  let api: TestApi;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-migrations-'));
    await createFirstReleaseDatabase(dataDir);
    api = await TestApi.start({ dataDir });
  }, 20_000);
  afterAll(async () => {
    await api?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const sql = (query: string) => api.server.services.database.dataSource.query(query);

  test('every migration ran, in order', async () => {
    const rows: { name: string }[] = await sql(`SELECT "name" FROM "migrations" ORDER BY "id"`);
    expect(rows.map((row) => row.name)).toEqual(EXPECTED_MIGRATIONS);
  });

  test('the database got its instance row, the one the service uses', async () => {
    const rows: { id: string }[] = await sql(`SELECT "id" FROM "instance"`);
    expect(rows).toHaveLength(1);
    expect(rows[0].id).toBe(api.server.services.database.instanceId);
  });

  test('the failures the first release counted by account go with their table: the lock is now per typed login, in the rate limits', async () => {
    const tables: unknown[] = await sql(`SELECT "name" FROM "sqlite_master" WHERE "name" = 'login_failure'`);
    expect(tables).toEqual([]);
    const login = await api.login(locked.username, locked.password);
    expect(login.errors).toBeUndefined();
  });

  test('accounts made before verification existed keep receiving mail: their address counts as verified', async () => {
    const rows: { n: number }[] = await sql(`SELECT COUNT(*) AS n FROM "user" WHERE "emailVerified" = 0`);
    expect(Number(rows[0].n)).toBe(0);
  });

  test('the search index, rebuilt with prefix indexes, still finds the ticket by its words and prefixes', async () => {
    const [table]: { sql: string }[] = await sql(
      `SELECT "sql" FROM "sqlite_master" WHERE "name" = 'ticket_search'`,
    );
    expect(table.sql).toMatch(/prefix = '1 2 3'/);
    const session = await api.login(keeper.username, keeper.password);
    const token = session.data!.login.token;
    for (const search of ['flickers', 'fl', 'tuesday', 'wiring']) {
      const { tickets } = await api.ok<{ tickets: { totalCount: number; nodes: { id: string }[] } }>(
        `query ($search: String!) { tickets(filter: { search: $search }) { totalCount nodes { id } } }`,
        { search },
        token,
      );
      expect({ search, tickets }).toEqual({
        search,
        tickets: { totalCount: 1, nodes: [{ id: String(ticketId) }] },
      });
    }
  });

  test("the tickets answered before the upgrade keep their first response: the keeper's public comment", async () => {
    const [row]: { waited: number | string }[] = await sql(
      `SELECT "firstResponseAt" - "createdAt" AS "waited" FROM "ticket" WHERE "id" = ${ticketId}`,
    );
    expect(Number(row.waited)).toBe(30_000);
  });

  test('the ticket is intact and reads through the API', async () => {
    const session = await api.login(keeper.username, keeper.password);
    expect(session.errors).toBeUndefined();
    const { ticket } = await api.ok(TICKET, { id: String(ticketId) }, session.data!.login.token);
    expect(ticket).toMatchObject({
      id: String(ticketId),
      title: 'The lamp flickers',
      description: 'Every night since Tuesday.',
      status: 'OPEN',
      priority: 'HIGH',
      category: 'BUG',
      project: { id: '1', name: 'Lighthouse' },
      author: { id: String(locked.id), username: locked.username },
      assignee: null,
      closedAt: null,
    });
  });
});
