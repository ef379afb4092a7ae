import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source';
import { rawQuery } from '../src/database/sql';
import type { ExportDocument } from '../src/exports/export-format';
import { migrations, postgresMigrations } from '../src/migrations';
import { JobAuthorRole1765600000000 } from '../src/migrations/1765600000000-job-author-role';
import { PostgresJobAuthorRole1765600000000 } from '../src/migrations/postgres/1765600000000-job-author-role';
import { User } from '../src/users/user.entity';
import { UPDATE_TICKET } from './support/operations';
import { onPostgres, testDatabaseFor } from './support/postgres-project';
import { TestApi, type TestUser } from './support/test-server';

/**
 * Job.authorRole (issue 12): the role a job's author had when it was written, kept when their role
 * changes later, on every path that writes jobs (the ticket rules, the import) and through the export.
 */

interface JobRoles {
  comment: string | null;
  authorRole: string;
  author: { id: string; role: string };
}

const JOBS = `query ($id: ID!) { ticket(id: $id) { jobs { comment authorRole author { id role } } } }`;
const HISTORY = `query ($ticketId: ID!) {
  history(first: 50, filter: { ticketId: $ticketId }) { nodes { comment authorRole author { id role } } }
}`;

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let projectId: string;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  projectId = await api.createProject(admin);
}, 20_000);

afterAll(async () => {
  await api?.stop();
});

async function jobsOf(ticketId: string, viewer: TestUser = admin): Promise<JobRoles[]> {
  const data = await api.ok<{ ticket: { jobs: JobRoles[] } }>(JOBS, { id: ticketId }, viewer.token);
  return data.ticket.jobs;
}

const comment = (who: TestUser, ticketId: string, text: string, more: Record<string, unknown> = {}) =>
  api.ok(UPDATE_TICKET, { id: ticketId, input: { comment: text, ...more } }, who.token);

describe('Job.authorRole', () => {
  test('a USER promoted to AGENT stays a reporter on the jobs written before, an agent on the ones after', async () => {
    const reporter = await api.register('reporter');
    const ticketId = await api.createTicket(reporter, projectId);
    await comment(reporter, ticketId, 'Still broken this morning.');
    await api.setRole(admin, reporter, 'AGENT');
    await comment(reporter, ticketId, 'Looking at it from the other side now.');

    const jobs = await jobsOf(ticketId);
    expect(jobs.map((job) => [job.comment, job.authorRole])).toEqual([
      [null, 'USER'],
      ['Still broken this morning.', 'USER'],
      ['Looking at it from the other side now.', 'AGENT'],
    ]);
    // The author as they are now, on every job.
    expect(jobs.map((job) => job.author)).toEqual(jobs.map(() => ({ id: reporter.id, role: 'AGENT' })));

    // The history feed reads the jobs otherwise (the query builder, not the loaders): the same roles.
    const feed = await api.ok<{ history: { nodes: JobRoles[] } }>(HISTORY, { ticketId }, admin.token);
    expect(feed.history.nodes.map((job) => job.authorRole).sort()).toEqual(['AGENT', 'USER', 'USER']);
  });

  test('the role is the one stored when the job is written, not the copy of the user the request began with', async () => {
    const reporter = await api.register('stale');
    const ticketId = await api.createTicket(reporter, projectId);
    const { manager } = api.server.services.database;
    const before = await manager.findOneByOrFail(User, { id: Number(reporter.id) });
    await api.setRole(admin, reporter, 'AGENT');
    expect(before.role).toBe('USER');
    await api.server.services.tickets.update(before, Number(ticketId), { comment: 'Promoted meanwhile.' });
    expect((await jobsOf(ticketId)).map((job) => job.authorRole)).toEqual(['USER', 'AGENT']);
  });

  test("the reply loop: a reporter's answer to a WAITING ticket is a reporter's job, the agent's question an agent's", async () => {
    const reporter = await api.register('replier');
    const ticketId = await api.createTicket(reporter, projectId);
    await comment(agent, ticketId, 'Which browser?', { status: 'WAITING' });
    const answered = await api.ok<{ updateTicket: { status: string } }>(
      UPDATE_TICKET,
      { id: ticketId, input: { comment: 'Firefox.' } },
      reporter.token,
    );
    expect(answered.updateTicket.status).toBe('OPEN');
    expect((await jobsOf(ticketId, reporter)).map((job) => [job.comment, job.authorRole])).toEqual([
      [null, 'USER'],
      ['Which browser?', 'AGENT'],
      ['Firefox.', 'USER'],
    ]);
  });

  test('an insert that leaves the role out is refused by the database itself', async () => {
    const ticketId = await api.createTicket(admin, projectId);
    await expect(
      api.sql(
        `INSERT INTO "job" ("ticketId", "authorId", "createdAt", "comment", "internal", "status", "changes")
         VALUES (?, ?, ?, NULL, ?, 0, '[]')`,
        [Number(ticketId), Number(admin.id), Date.now(), onPostgres ? false : 0],
      ),
    ).rejects.toThrow();
  });

  test('the JSON export writes each job with its role; the import keeps a valid one, else takes the role here', async () => {
    const reporter = await api.register('exported');
    const exportProject = await api.createProject(admin, 'Exported roles');
    const ticketId = await api.createTicket(reporter, exportProject);
    await api.setRole(admin, reporter, 'AGENT');
    await comment(reporter, ticketId, 'Now on staff.');
    const exported = await api.http(`/api/export?format=json&project=${exportProject}`, {
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(exported.status).toBe(200);
    const document = JSON.parse(exported.text) as ExportDocument;
    expect(document.tickets[0].jobs.map((job) => [job.authorId, job.authorRole])).toEqual([
      [reporter.id, 'USER'],
      [reporter.id, 'AGENT'],
    ]);

    const at = '2025-06-01T10:00:00.000Z';
    const job = (id: string, authorRole?: unknown) => ({
      id,
      authorId: '1',
      ...(authorRole === undefined ? {} : { authorRole }),
      createdAt: at,
      comment: `Job ${id}.`,
      internal: false,
      status: 'OPEN',
      changes: [],
    });
    const file = {
      format: 'simple-ticketing-export',
      version: 1,
      exportedAt: at,
      scope: { projectId: null },
      // The agent of this instance, matched by email: an AGENT here.
      users: [
        { id: '1', username: 'someone', email: agent.email, role: 'USER', locale: 'EN', createdAt: at },
      ],
      projects: [{ id: '1', name: 'Older file', description: '', archived: false, createdAt: at }],
      tickets: [
        {
          id: '1',
          projectId: '1',
          title: 'From an older instance',
          description: '',
          status: 'OPEN',
          priority: 'NORMAL',
          category: 'BUG',
          authorId: '1',
          assigneeId: null,
          createdAt: at,
          updatedAt: at,
          closedAt: null,
          // As written; written before jobs carried a role; a value that is no role.
          jobs: [job('1', 'USER'), job('2'), job('3', 'OWNER')],
        },
      ],
    };
    const imported = await api.http('/api/import', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
      body: JSON.stringify(file),
    });
    expect(imported.status).toBe(200);
    const newId = (imported.json as { ids: { tickets: Record<string, string> } }).ids.tickets['1'];
    expect((await jobsOf(newId)).map((row) => [row.comment, row.authorRole])).toEqual([
      ['Job 1.', 'USER'],
      ['Job 2.', 'AGENT'],
      ['Job 3.', 'AGENT'],
    ]);
  });
});

describe('the migration on a database that already holds jobs', () => {
  let dataDir: string;
  let upgraded: TestApi;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-author-role-'));
    const { databaseUrl } = await testDatabaseFor(dataDir);
    const all = onPostgres ? postgresMigrations : migrations;
    // The schema just before this migration (later ones may follow it).
    const before = all.indexOf(onPostgres ? PostgresJobAuthorRole1765600000000 : JobAuthorRole1765600000000);
    const old = new DataSource({
      ...dataSourceOptions({ dataDir, databaseUrl }),
      migrations: all.slice(0, before),
    });
    await old.initialize();
    try {
      await old.runMigrations({ transaction: 'each' });
      const sql = (text: string, parameters: unknown[] = []) => rawQuery(old.manager, text, parameters);
      for (const [id, role] of [
        [1, 'ADMIN'],
        [2, 'AGENT'],
        [3, 'USER'],
      ] as const) {
        await sql(
          `INSERT INTO "user" ("id", "username", "usernameKey", "email", "emailKey", "passwordHash", "role", "createdAt")
           VALUES (?, ?, ?, ?, ?, 'x', ?, 0)`,
          [id, `person${id}`, `person${id}`, `person${id}@example.com`, `person${id}@example.com`, role],
        );
      }
      await sql(
        `INSERT INTO "project" ("id", "name", "nameKey", "description", "createdAt") VALUES (1, 'Old', 'old', '', 0)`,
      );
      await sql(
        `INSERT INTO "ticket" ("id", "title", "description", "status", "priority", "category", "projectId",
           "authorId", "createdAt", "updatedAt") VALUES (1, 'Old ticket', '', 0, 1, 'BUG', 1, 3, 0, 0)`,
      );
      for (const authorId of [3, 2, 1, 3]) {
        await sql(
          `INSERT INTO "job" ("ticketId", "authorId", "createdAt", "comment", "internal", "status", "changes")
           VALUES (1, ?, 0, NULL, ?, 0, '[]')`,
          [authorId, onPostgres ? false : 0],
        );
      }
    } finally {
      await old.destroy();
    }
    upgraded = await TestApi.start({ dataDir });
  }, 30_000);

  afterAll(async () => {
    await upgraded?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test("every old job gets its author's role as it is, the best known", async () => {
    const rows = await upgraded.sql<{ authorId: number | string; authorRole: string }[]>(
      `SELECT "authorId", "authorRole" FROM "job" ORDER BY "id"`,
    );
    expect(rows.map((row) => [Number(row.authorId), row.authorRole])).toEqual([
      [3, 'USER'],
      [2, 'AGENT'],
      [1, 'ADMIN'],
      [3, 'USER'],
    ]);
  });
});
