import type BetterSqlite3 from 'better-sqlite3';
import http from 'node:http';
import path from 'node:path';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { Pool } from 'pg';
import { openSqlite } from '../database/sqlite-driver';
import { priorityOrder, statusOrder } from '../tickets/ticket.enums';
import { encodeCursor } from '../tickets/cursor';

/**
 * The bench's baselines, in a process of their own: `node bare-server.js` (PORT, and DATA_DIR or
 * DATABASE_URL) answers
 * - POST /bare/page: what `tickets(first: 50)` answers an ADMIN (same fields, shape and values as the
 *   GraphQL answer, `{ data }`), from a bare `node:http` handler over the same database file (read-only)
 *   or the same PostgreSQL database, in a few plain queries;
 * - POST /bare/ticket?id=N: what `ticket(id: N)` answers an ADMIN;
 * - POST /graphql: a bare Apollo Server (same `graphql` and `@apollo/server` as the service, on Express
 *   5, no authentication) whose schema has one field, for `{ __typename }`.
 * The bench checks in every run that the bare answers equal the service's.
 */
interface Store {
  all(sql: { sqlite: string; postgres: string }, values: unknown[]): Promise<Row[]>;
}

type Row = Record<string, unknown>;

function sqliteStore(dataDir: string): Store {
  const db = openSqlite(path.join(dataDir, 'ticketing.sqlite'), { readonly: true, fileMustExist: true });
  const statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  return {
    async all(sql, values) {
      let statement = statements.get(sql.sqlite);
      if (!statement) {
        statement = db.prepare<unknown[]>(sql.sqlite);
        statements.set(sql.sqlite, statement);
      }
      return statement.all(...values) as Row[];
    },
  };
}

function postgresStore(databaseUrl: string): Store {
  const pool = new Pool({ connectionString: databaseUrl, max: 10 });
  return {
    async all(sql, values) {
      return (await pool.query(sql.postgres, values)).rows as Row[];
    },
  };
}

/** Both dialects of a query; `?` placeholders become $1, $2… on PostgreSQL (none is quoted here). */
function both(sqlite: string): { sqlite: string; postgres: string } {
  let n = 0;
  return { sqlite, postgres: sqlite.replace(/\?/g, () => `$${(n += 1)}`) };
}

const idList = (count: number) => Array.from({ length: count }, () => '?').join(', ');
const iso = (ms: unknown) => new Date(Number(ms)).toISOString();

interface FieldChange {
  field: string;
  from?: string | null;
  to?: string | null;
}

/** Tickets with project, author, assignee and jobs (with their authors), as the GraphQL answer has them. */
async function ticketsWithHistory(store: Store, tickets: Row[]): Promise<unknown[]> {
  if (tickets.length === 0) return [];
  const ticketIds = tickets.map((ticket) => Number(ticket.id));
  const jobs = await store.all(
    both(`SELECT * FROM "job" WHERE "ticketId" IN (${idList(ticketIds.length)}) ORDER BY id ASC`),
    ticketIds,
  );
  const userIds = new Set<number>();
  const projectIds = new Set<number>();
  for (const ticket of tickets) {
    userIds.add(Number(ticket.authorId));
    if (ticket.assigneeId !== null) userIds.add(Number(ticket.assigneeId));
    projectIds.add(Number(ticket.projectId));
  }
  for (const job of jobs) userIds.add(Number(job.authorId));
  const users = await store.all(
    both(`SELECT id, username FROM "user" WHERE id IN (${idList(userIds.size)})`),
    [...userIds],
  );
  const projects = await store.all(
    both(`SELECT id, name FROM "project" WHERE id IN (${idList(projectIds.size)})`),
    [...projectIds],
  );
  const userById = new Map(users.map((user) => [Number(user.id), user]));
  const projectById = new Map(projects.map((project) => [Number(project.id), project]));
  const jobsByTicket = new Map<number, unknown[]>(ticketIds.map((id) => [id, []]));
  for (const job of jobs) {
    const changes = (
      typeof job.changes === 'string' ? JSON.parse(job.changes) : job.changes
    ) as FieldChange[];
    jobsByTicket.get(Number(job.ticketId))!.push({
      id: String(job.id),
      createdAt: iso(job.createdAt),
      comment: job.comment ?? null,
      internal: Boolean(job.internal),
      status: statusOrder[Number(job.status)],
      author: { username: userById.get(Number(job.authorId))!.username },
      changes: changes.map((change) => ({
        field: change.field,
        from: change.from ?? null,
        to: change.to ?? null,
      })),
    });
  }
  const person = (id: unknown) => {
    if (id === null) return null;
    const user = userById.get(Number(id))!;
    return { id: String(user.id), username: user.username };
  };
  return tickets.map((ticket) => {
    const project = projectById.get(Number(ticket.projectId))!;
    return {
      id: String(ticket.id),
      title: ticket.title,
      status: statusOrder[Number(ticket.status)],
      priority: priorityOrder[Number(ticket.priority)],
      category: ticket.category,
      createdAt: iso(ticket.createdAt),
      updatedAt: iso(ticket.updatedAt),
      project: { id: String(project.id), name: project.name },
      author: person(ticket.authorId),
      assignee: person(ticket.assigneeId),
      jobs: jobsByTicket.get(Number(ticket.id)),
    };
  });
}

const TICKET_COLUMNS = `id, title, status, priority, category, "projectId", "authorId", "assigneeId", "createdAt", "updatedAt"`;

async function page(store: Store, first: number): Promise<unknown> {
  const [{ count }] = await store.all(both(`SELECT count(*) AS count FROM "ticket"`), []);
  const rows = await store.all(
    both(`SELECT ${TICKET_COLUMNS} FROM "ticket" ORDER BY "createdAt" DESC, id DESC LIMIT ?`),
    [first + 1],
  );
  const shown = rows.slice(0, first);
  const last = shown[shown.length - 1];
  return {
    data: {
      tickets: {
        totalCount: Number(count),
        pageInfo: {
          hasNextPage: rows.length > first,
          endCursor: last
            ? encodeCursor({ key: 'CREATED_AT:DESC', value: Number(last.createdAt), id: Number(last.id) })
            : null,
        },
        nodes: await ticketsWithHistory(store, shown),
      },
    },
  };
}

async function oneTicket(store: Store, id: number): Promise<unknown> {
  const rows = await store.all(both(`SELECT ${TICKET_COLUMNS} FROM "ticket" WHERE id = ?`), [id]);
  const [ticket] = await ticketsWithHistory(store, rows);
  return { data: { ticket: ticket ?? null } };
}

function bareApollo(): express.Express {
  const apollo = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', resolvers: {} });
  const app = express();
  void apollo.start();
  app.use('/graphql', express.json(), (request, response, next) => {
    apollo.assertStarted('bare apollo');
    return expressMiddleware(apollo)(request, response, next);
  });
  return app;
}

async function main(): Promise<void> {
  const store = process.env.DATABASE_URL
    ? postgresStore(process.env.DATABASE_URL)
    : sqliteStore(process.env.DATA_DIR ?? '.');
  const apolloApp = bareApollo();
  const server = http.createServer((request, response) => {
    const url = request.url ?? '/';
    if (!url.startsWith('/bare/')) return apolloApp(request, response);
    // The request's body (the same JSON as the service gets) is read and ignored.
    request.resume();
    request.on('end', () => {
      const answer = url.startsWith('/bare/page')
        ? page(store, 50)
        : oneTicket(store, Number(new URL(url, 'http://bare').searchParams.get('id')));
      answer.then(
        (data) => {
          const body = JSON.stringify(data);
          response.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'text/plain' });
          response.end(String(error));
        },
      );
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
    const address = server.address() as { port: number };
    process.stdout.write(`listening ${address.port}\n`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
