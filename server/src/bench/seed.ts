import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { isPostgresUrl } from '../database/database-url';
import { openSqlite } from '../database/sqlite-driver';
import {
  ADMIN_USERNAME,
  BENCH_PASSWORD,
  type Dataset,
  type DatasetOptions,
  REPORTER_USERNAME,
  datasetOf,
  searchRowOf,
} from './dataset';
import { type Target, startService } from './processes';

/** This tree's build of the service (server/dist/main.js beside server/dist/bench). */
export const OWN_SERVER = path.join(__dirname, '..', 'main.js');

export interface SeedSummary {
  tickets: number;
  jobs: number;
  /** The ticket with FULL_HISTORY_JOBS jobs. */
  fullHistoryTicketId: number;
  /** Writing the data set, after the service made its schema. */
  seconds: number;
  adminToken: string;
  words: Dataset['words'];
  /** Accounts, all with BENCH_PASSWORD. */
  admin: string;
  reporter: string;
  agent: string;
}

/**
 * Makes a SQLite data folder for the bench: the service itself creates the schema and its first
 * account (the ADMIN `bench-admin`, through the API, so its password hash is the service's), then the
 * data set goes into the tables in one transaction, search index included, as the service writes them.
 */
export async function seedSqlite(
  dataDir: string,
  options: DatasetOptions,
  serverMain = OWN_SERVER,
): Promise<SeedSummary> {
  const adminToken = await createSchemaAndAdmin({ dataDir }, serverMain);
  const started = performance.now();
  const dataset = datasetOf(options);
  const written = writeSqlite(path.join(dataDir, 'ticketing.sqlite'), dataset);
  return summaryOf(options, dataset, written, started, adminToken);
}

/**
 * The same for PostgreSQL: databaseUrl names an empty database; the service makes the schema (its
 * PostgreSQL migration set), then the rows go in by batches of multi-row inserts in one transaction.
 */
export async function seedPostgres(
  target: { dataDir: string; databaseUrl: string },
  options: DatasetOptions,
  serverMain = OWN_SERVER,
): Promise<SeedSummary> {
  const adminToken = await createSchemaAndAdmin(target, serverMain);
  const started = performance.now();
  const dataset = datasetOf(options);
  const written = await writePostgres(target.databaseUrl, dataset);
  return summaryOf(options, dataset, written, started, adminToken);
}

function summaryOf(
  options: DatasetOptions,
  dataset: Dataset,
  written: Written,
  started: number,
  adminToken: string,
): SeedSummary {
  return {
    tickets: options.tickets,
    jobs: written.jobs,
    fullHistoryTicketId: written.fullHistoryTicketId,
    seconds: (performance.now() - started) / 1000,
    adminToken,
    words: dataset.words,
    admin: ADMIN_USERNAME,
    reporter: REPORTER_USERNAME,
    agent: dataset.users[0].username,
  };
}

/**
 * Starts the service under test once on the target, in a process of its own (`node <main.js>`: this
 * tree's build or another one, e.g. an older commit's), so that its migrations make its schema, and
 * registers the ADMIN over HTTP; then stops it.
 */
async function createSchemaAndAdmin(target: Target, serverMain: string): Promise<string> {
  fs.mkdirSync(target.dataDir, { recursive: true });
  const server = await startService(serverMain, target);
  let adminToken: string;
  try {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
        variables: {
          input: { username: ADMIN_USERNAME, email: 'bench-admin@example.com', password: BENCH_PASSWORD },
        },
      }),
    });
    const body = (await response.json()) as { data?: { register: { token: string } }; errors?: unknown };
    if (!body.data) throw new Error(`the bench's admin could not register: ${JSON.stringify(body.errors)}`);
    adminToken = body.data.register.token;
  } finally {
    await server.stop();
  }
  return adminToken;
}

interface Written {
  jobs: number;
  fullHistoryTicketId: number;
}

function writeSqlite(file: string, dataset: Dataset): Written {
  const db = openSqlite(file);
  let jobs = 0;
  let fullHistoryTicketId = 0;
  try {
    const { passwordHash } = db
      .prepare('SELECT "passwordHash" FROM "user" WHERE "usernameKey" = ?')
      .get(ADMIN_USERNAME) as { passwordHash: string };
    const addUser = db.prepare(
      `INSERT INTO "user" (username, "usernameKey", email, "emailKey", "passwordHash", role, "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const addProject = db.prepare(
      `INSERT INTO "project" (name, "nameKey", description, "createdAt") VALUES (?, ?, ?, ?)`,
    );
    const addTicket = db.prepare(
      `INSERT INTO "ticket" (title, description, status, priority, category, "projectId", "authorId", "assigneeId", "createdAt", "updatedAt", "closedAt")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const addJob = db.prepare(
      `INSERT INTO "job" ("ticketId", "authorId", "authorRole", "createdAt", comment, internal, status, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const addSearch = db.prepare(
      `INSERT INTO "ticket_search" (rowid, title, description, comments, internal_comments) VALUES (?, ?, ?, ?, ?)`,
    );
    const createdAt = Date.now() - 800 * 86_400_000;
    db.transaction(() => {
      const userIds = dataset.users.map((user) => {
        const key = user.username.toLowerCase();
        return Number(
          addUser.run(
            user.username,
            key,
            `${key}@example.com`,
            `${key}@example.com`,
            passwordHash,
            user.role,
            createdAt,
          ).lastInsertRowid,
        );
      });
      const projectIds = dataset.projects.map((name) =>
        Number(
          addProject.run(name, name.toLowerCase(), `${name}, seeded by the bench.`, createdAt)
            .lastInsertRowid,
        ),
      );
      for (const ticket of dataset.tickets()) {
        const ticketId = Number(
          addTicket.run(
            ticket.title,
            ticket.description,
            ticket.status,
            ticket.priority,
            ticket.category,
            projectIds[ticket.project],
            userIds[ticket.author],
            ticket.assignee === null ? null : userIds[ticket.assignee],
            ticket.createdAt,
            ticket.updatedAt,
            ticket.closedAt,
          ).lastInsertRowid,
        );
        for (const job of ticket.jobs) {
          addJob.run(
            ticketId,
            userIds[job.author],
            dataset.users[job.author].role,
            job.createdAt,
            job.comment,
            job.internal ? 1 : 0,
            job.status,
            job.changes,
          );
        }
        jobs += ticket.jobs.length;
        if (ticket.index === dataset.fullHistory) fullHistoryTicketId = ticketId;
        const search = searchRowOf(ticket, 'sqlite');
        addSearch.run(ticketId, search.title, search.description, search.comments, search.internalComments);
      }
    })();
    db.exec('ANALYZE');
  } finally {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
  return { jobs, fullHistoryTicketId };
}

const BATCH = 500;

async function writePostgres(databaseUrl: string, dataset: Dataset): Promise<Written> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  let jobs = 0;
  let fullHistoryTicketId = 0;
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ passwordHash: string }>(
      'SELECT "passwordHash" FROM "user" WHERE "usernameKey" = $1',
      [ADMIN_USERNAME],
    );
    const passwordHash = rows[0].passwordHash;
    const createdAt = Date.now() - 800 * 86_400_000;
    const keys = dataset.users.map((user) => user.username.toLowerCase());
    const users = await client.query<{ id: number }>(
      `INSERT INTO "user" (username, "usernameKey", email, "emailKey", "passwordHash", role, "createdAt")
       SELECT u, k, k || '@example.com', k || '@example.com', $3, r, $4
       FROM unnest($1::text[], $2::text[], $5::text[]) WITH ORDINALITY AS x(u, k, r, n) ORDER BY n
       RETURNING id`,
      [
        dataset.users.map((user) => user.username),
        keys,
        passwordHash,
        createdAt,
        dataset.users.map((u) => u.role),
      ],
    );
    const userIds = users.rows.map((row) => Number(row.id));
    const projects = await client.query<{ id: number }>(
      `INSERT INTO "project" (name, "nameKey", description, "createdAt")
       SELECT p, lower(p), p || ', seeded by the bench.', $2 FROM unnest($1::text[]) WITH ORDINALITY AS x(p, n) ORDER BY n
       RETURNING id`,
      [dataset.projects, createdAt],
    );
    const projectIds = projects.rows.map((row) => Number(row.id));
    const base = await client.query<{ ticket: string; job: string }>(
      `SELECT (SELECT COALESCE(max(id), 0) FROM "ticket") AS ticket, (SELECT COALESCE(max(id), 0) FROM "job") AS job`,
    );
    let ticketId = Number(base.rows[0].ticket);
    let jobId = Number(base.rows[0].job);
    let batch: TicketBatch = emptyBatch();
    const flush = async () => {
      if (batch.ticket.id.length === 0) return;
      const t = batch.ticket;
      await client.query(
        `INSERT INTO "ticket" (id, title, description, status, priority, category, "projectId", "authorId", "assigneeId", "createdAt", "updatedAt", "closedAt")
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::smallint[], $5::smallint[], $6::text[], $7::int[], $8::int[], $9::int[], $10::bigint[], $11::bigint[], $12::bigint[])`,
        [
          t.id,
          t.title,
          t.description,
          t.status,
          t.priority,
          t.category,
          t.project,
          t.author,
          t.assignee,
          t.createdAt,
          t.updatedAt,
          t.closedAt,
        ],
      );
      const j = batch.job;
      await client.query(
        `INSERT INTO "job" (id, "ticketId", "authorId", "authorRole", "createdAt", comment, internal, status, changes)
         SELECT * FROM unnest($1::int[], $2::int[], $3::int[], $4::text[], $5::bigint[], $6::text[], $7::boolean[], $8::smallint[], $9::text[])`,
        [j.id, j.ticket, j.author, j.authorRole, j.createdAt, j.comment, j.internal, j.status, j.changes],
      );
      const s = batch.search;
      await client.query(
        `INSERT INTO "ticket_search" ("ticketId", title, description, comments, "internalComments")
         SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[])`,
        [s.ticket, s.title, s.description, s.comments, s.internalComments],
      );
      batch = emptyBatch();
    };
    for (const ticket of dataset.tickets()) {
      ticketId += 1;
      const t = batch.ticket;
      t.id.push(ticketId);
      t.title.push(ticket.title);
      t.description.push(ticket.description);
      t.status.push(ticket.status);
      t.priority.push(ticket.priority);
      t.category.push(ticket.category);
      t.project.push(projectIds[ticket.project]);
      t.author.push(userIds[ticket.author]);
      t.assignee.push(ticket.assignee === null ? null : userIds[ticket.assignee]);
      t.createdAt.push(ticket.createdAt);
      t.updatedAt.push(ticket.updatedAt);
      t.closedAt.push(ticket.closedAt);
      for (const job of ticket.jobs) {
        jobId += 1;
        const j = batch.job;
        j.id.push(jobId);
        j.ticket.push(ticketId);
        j.author.push(userIds[job.author]);
        j.authorRole.push(dataset.users[job.author].role);
        j.createdAt.push(job.createdAt);
        j.comment.push(job.comment);
        j.internal.push(job.internal);
        j.status.push(job.status);
        j.changes.push(job.changes);
      }
      jobs += ticket.jobs.length;
      if (ticket.index === dataset.fullHistory) fullHistoryTicketId = ticketId;
      const search = searchRowOf(ticket, 'postgres');
      batch.search.ticket.push(ticketId);
      batch.search.title.push(search.title);
      batch.search.description.push(search.description);
      batch.search.comments.push(search.comments);
      batch.search.internalComments.push(search.internalComments);
      if (t.id.length >= BATCH) await flush();
    }
    await flush();
    // The identities go on after the explicit ids, as if the service had given them.
    await client.query(`SELECT setval(pg_get_serial_sequence('"ticket"', 'id'), $1)`, [
      Math.max(ticketId, 1),
    ]);
    await client.query(`SELECT setval(pg_get_serial_sequence('"job"', 'id'), $1)`, [Math.max(jobId, 1)]);
    await client.query('COMMIT');
    await client.query('ANALYZE');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    await client.end();
  }
  return { jobs, fullHistoryTicketId };
}

interface TicketBatch {
  ticket: {
    id: number[];
    title: string[];
    description: string[];
    status: number[];
    priority: number[];
    category: string[];
    project: number[];
    author: number[];
    assignee: (number | null)[];
    createdAt: number[];
    updatedAt: number[];
    closedAt: (number | null)[];
  };
  job: {
    id: number[];
    ticket: number[];
    author: number[];
    authorRole: string[];
    createdAt: number[];
    comment: (string | null)[];
    internal: boolean[];
    status: number[];
    changes: string[];
  };
  search: {
    ticket: number[];
    title: string[];
    description: string[];
    comments: string[];
    internalComments: string[];
  };
}

function emptyBatch(): TicketBatch {
  return {
    ticket: {
      id: [],
      title: [],
      description: [],
      status: [],
      priority: [],
      category: [],
      project: [],
      author: [],
      assignee: [],
      createdAt: [],
      updatedAt: [],
      closedAt: [],
    },
    job: {
      id: [],
      ticket: [],
      author: [],
      authorRole: [],
      createdAt: [],
      comment: [],
      internal: [],
      status: [],
      changes: [],
    },
    search: { ticket: [], title: [], description: [], comments: [], internalComments: [] },
  };
}

/**
 * `node server/dist/bench/seed.js --tickets 100000 --data-dir DIR [--database-url postgres://…] [--server
 * main.js]`: a data folder (and, with a URL, an empty PostgreSQL database; JWT_SECRET from the
 * environment) to measure, its schema made by the given build of the service (default: this one).
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const valueOf = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
  };
  const tickets = Number(valueOf('--tickets') ?? 100_000);
  const dataDir = valueOf('--data-dir');
  if (!dataDir || !Number.isInteger(tickets) || tickets < 1) {
    console.error(
      'usage: node server/dist/bench/seed.js --tickets N --data-dir DIR (an empty or new folder) [--database-url postgres://…] [--server main.js]',
    );
    process.exit(2);
  }
  if (fs.existsSync(path.join(dataDir, 'ticketing.sqlite'))) {
    console.error(`${dataDir} already holds a database: give a new folder`);
    process.exit(2);
  }
  const databaseUrl = valueOf('--database-url');
  if (databaseUrl && !isPostgresUrl(databaseUrl)) {
    console.error('--database-url takes a postgres:// URL (SQLite is the default, in --data-dir)');
    process.exit(2);
  }
  const serverMain = path.resolve(valueOf('--server') ?? OWN_SERVER);
  const summary = databaseUrl
    ? await seedPostgres({ dataDir: path.resolve(dataDir), databaseUrl }, { tickets }, serverMain)
    : await seedSqlite(path.resolve(dataDir), { tickets }, serverMain);
  console.log(
    `seeded ${summary.tickets} tickets, ${summary.jobs} jobs in ${summary.seconds.toFixed(1)} s into ${dataDir}\n` +
      `accounts (password "${BENCH_PASSWORD}"): ${summary.admin} (ADMIN), ${summary.agent} (AGENT), ` +
      `${summary.reporter} (USER, 200 tickets)\nwords: ${JSON.stringify(summary.words)}`,
  );
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
