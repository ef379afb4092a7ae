import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../app';
import { benchAuthentication } from './authentication';
import { benchCreateTicket } from './create-ticket';
import { benchExportMemory } from './export-memory';

/**
 * `npm run bench`: a database of 10,000 tickets (two jobs each), then the SQL statements per page and the
 * time of `tickets(first: 50)` over HTTP, as a client sees it, of a createTicket with email
 * notifications on and off, of authenticating with an API token beside a session, and the peak memory
 * and time of a 100,000-ticket, 1,000,000-job export. Prints its figures; asserts nothing.
 */
const TICKETS = Number(process.env.BENCH_TICKETS ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);

const PAGE_QUERY = `query Page($first: Int!, $filter: TicketFilter, $orderBy: TicketOrder) {
  tickets(first: $first, filter: $filter, orderBy: $orderBy) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes {
      id title status priority category createdAt updatedAt
      project { id name }
      author { id username }
      assignee { id username }
      jobs { id createdAt comment internal status author { username } changes { field from to } }
    }
  }
}`;

const words = ['login', 'export', 'photo', 'crash', 'slow', 'email', 'button', 'report', 'invoice', 'search'];

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-bench-'));
  const sqlCounts: number[] = [];
  const server = await startServer(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      logLevel: 'info',
      nodeEnv: 'production',
      clientDir: dataDir,
      // The authentication figures send more requests with one token than an hour's default budget.
      apiTokenBudget: 10_000_000,
    },
    {
      logDestination: {
        write(line: string) {
          const entry = JSON.parse(line);
          if (entry.msg === 'graphql' && typeof entry.sql === 'number') sqlCounts.push(entry.sql);
        },
      },
    },
  );
  const post = async (query: string, variables: object, token?: string) => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: unknown };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };

  try {
    const { register } = await post(
      'mutation ($input: RegisterInput!) { register(input: $input) { token user { id } } }',
      { input: { username: 'bench-admin', email: 'bench@example.com', password: 'bench password 2026' } },
    );
    const token: string = register.token;
    const adminId = Number(register.user.id);

    // Bulk data goes straight into the tables in one transaction; the API path is what is measured.
    const seedStarted = performance.now();
    await server.services.database.transaction(async (manager) => {
      const runner = manager;
      const hash = (await runner.query('SELECT "passwordHash" FROM "user" WHERE id = ?', [adminId]))[0]
        .passwordHash;
      for (let i = 1; i <= 50; i += 1) {
        await runner.query(
          `INSERT INTO "user" (username, "usernameKey", email, "emailKey", "passwordHash", role, "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
          [
            `user${i}`,
            `user${i}`,
            `user${i}@example.com`,
            `user${i}@example.com`,
            hash,
            i <= 5 ? 'AGENT' : 'USER',
            Date.now(),
          ],
        );
      }
      for (let p = 1; p <= 10; p += 1) {
        await runner.query(
          `INSERT INTO "project" (name, "nameKey", description, "createdAt") VALUES (?, ?, '', ?)`,
          [`Project ${p}`, `project ${p}`, Date.now()],
        );
      }
      const start = Date.now() - TICKETS * 60_000;
      for (let i = 0; i < TICKETS; i += 1) {
        const createdAt = start + i * 60_000;
        const title = `${words[i % 10]} problem number ${i} in ${words[(i * 7) % 10]}`;
        const status = i % 5;
        const { lastID } = await insert(
          runner,
          `INSERT INTO "ticket" (title, description, status, priority, category, "projectId", "authorId", "assigneeId", "createdAt", "updatedAt", "closedAt")
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          [
            title,
            `Steps to reproduce ${i}: open the ${words[(i * 3) % 10]} page and wait.`,
            status,
            i % 4,
            ['BUG', 'IMPROVEMENT', 'QUESTION', 'OTHER'][i % 4],
            (i % 10) + 1,
            (i % 45) + 7,
            i % 3 === 0 ? null : (i % 5) + 2,
            createdAt,
            createdAt + 3_600_000,
            status >= 3 ? createdAt + 7_200_000 : null,
          ],
        );
        await runner.query(
          `INSERT INTO "job" ("ticketId", "authorId", "createdAt", comment, internal, status, changes) VALUES (?, ?, ?, NULL, 0, 0, ?)`,
          [lastID, (i % 45) + 7, createdAt, '[{"field":"status","from":null,"to":"OPEN"}]'],
        );
        await runner.query(
          `INSERT INTO "job" ("ticketId", "authorId", "createdAt", comment, internal, status, changes) VALUES (?, ?, ?, ?, 0, ?, '[]')`,
          [lastID, 2, createdAt + 3_600_000, `Looked at the ${words[(i * 5) % 10]} logs.`, status],
        );
        await runner.query(
          `INSERT INTO "ticket_search" (rowid, title, description, comments, internal_comments) VALUES (?, ?, ?, ?, '')`,
          [lastID, title, `Steps to reproduce ${i}`, `Looked at the ${words[(i * 5) % 10]} logs.`],
        );
      }
    });
    console.log(
      `seeded ${TICKETS} tickets, ${TICKETS * 2} jobs in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
    );

    console.log(
      '\nSQL statements per request (tickets page with project, author, assignee, jobs and job authors):',
    );
    for (const first of [10, 50, 100]) {
      sqlCounts.length = 0;
      await post(PAGE_QUERY, { first }, token);
      await new Promise((resolve) => setImmediate(resolve));
      console.log(`  first: ${String(first).padStart(3)}  →  ${sqlCounts.at(-1)} statements`);
    }

    const STATS_QUERY = `{ stats { total open closed medianHoursToClose byStatus { key count } byProject { key count }
      byCategory { key count } byPriority { key count } byAuthor { key count } byAssignee { key count }
      perWeek { weekStart opened closed } perDay { day opened closed } } }`;
    const scenarios: [string, object, string?][] = [
      ['tickets(first: 50), newest first', { first: 50 }],
      [
        'waiting list (open, unassigned, by priority)',
        {
          first: 50,
          filter: { open: true, unassigned: true },
          orderBy: { field: 'PRIORITY', direction: 'DESC' },
        },
      ],
      ['search "export crash", by relevance', { first: 50, filter: { search: 'export crash' } }],
      ['stats over every ticket (all figures)', {}, STATS_QUERY],
    ];
    console.log(`\nTime per request over HTTP, ${RUNS} sequential runs each, on ${TICKETS} tickets:`);
    for (const [label, variables, query = PAGE_QUERY] of scenarios) {
      await post(query, variables, token); // warm-up
      const times: number[] = [];
      for (let run = 0; run < RUNS; run += 1) {
        const started = performance.now();
        await post(query, variables, token);
        times.push(performance.now() - started);
      }
      times.sort((a, b) => a - b);
      const pick = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
      console.log(`  ${label.padEnd(46)} median ${pick(0.5)} ms   p95 ${pick(0.95)} ms   max ${pick(1)} ms`);
    }

    const reporter = await post('mutation ($input: RegisterInput!) { register(input: $input) { token } }', {
      input: { username: 'bench-reporter', email: 'reporter@example.com', password: 'bench reporter 2026' },
    });
    await benchCreateTicket(server, post, reporter.register.token, RUNS);

    const { createApiToken } = await post(
      'mutation { createApiToken(input: { name: "bench", scope: READ }) { secret } }',
      {},
      token,
    );
    await benchAuthentication(
      post,
      token,
      createApiToken.secret,
      Number(process.env.BENCH_AUTH_REQUESTS ?? 3000),
    );
    await benchExportMemory();
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function insert(
  runner: { query: (sql: string, params: unknown[]) => Promise<any> },
  sql: string,
  params: unknown[],
) {
  await runner.query(sql, params);
  const [row] = await runner.query('SELECT last_insert_rowid() AS id', []);
  return { lastID: Number(row.id) };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
