import { parse } from 'csv-parse/sync';
import type { ExportDocument, ExportedTicket } from '../src/exports/export-format';
import { type TestUser, TestApi } from './support/test-server';
import { TICKET, type TicketView, UPDATE_TICKET } from './support/operations';
import { isPostgres, rawQuery } from '../src/database/sql';

/*
 * GET /api/export as a client downloads it: the content of each file against what the API shows of
 * the same data, the CSV rules (RFC 4180, BOM, injection), who may export, bad requests, and a failure
 * half-way through.
 */

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let reporter: TestUser;
let bystander: TestUser;
let lighthouse: string;
let harbour: string;
let ticketIds: string[];

const COMMENT = 'He said "fine, thanks", then left.\nÇa marche — 東京 ✓\r\nLast line, with a comma';

interface Download {
  status: number;
  headers: Headers;
  bytes: Buffer;
  /** The body as UTF-8, BOM kept. */
  text: string;
  json: any;
}

async function download(query: string, headers: Record<string, string> = {}): Promise<Download> {
  const response = await fetch(`${api.url}/api/export${query}`, { headers });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    // A CSV file: the caller reads text.
  }
  return { status: response.status, headers: response.headers, bytes, text, json };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** TICKET with each job's authorRole, which the export writes too. */
const TICKET_WITH_ROLES = TICKET.replace('jobs { id ', 'jobs { id authorRole ');

async function ticketView(id: string): Promise<TicketView & Record<string, any>> {
  const data = await api.ok<{ ticket: TicketView }>(TICKET_WITH_ROLES, { id }, admin.token);
  return data.ticket;
}

/** The export's form of a ticket, from what the API shows an ADMIN. */
function exportedFromView(view: any): ExportedTicket {
  return {
    id: view.id,
    projectId: view.project.id,
    title: view.title,
    description: view.description,
    status: view.status,
    priority: view.priority,
    category: view.category,
    authorId: view.author.id,
    assigneeId: view.assignee?.id ?? null,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    closedAt: view.closedAt,
    jobs: view.jobs.map((job: any) => ({
      id: job.id,
      authorId: job.author.id,
      authorRole: job.authorRole,
      createdAt: job.createdAt,
      comment: job.comment,
      internal: job.internal,
      status: job.status,
      changes: job.changes,
    })),
  };
}

/** What a spreadsheet must not run: the cell as the export writes it (OWASP's list of starts). */
const neutralised = (cell: string | null) =>
  cell !== null && /^[=+\-@\t\r]/.test(cell) ? `'${cell}` : (cell ?? '');

beforeAll(async () => {
  api = await TestApi.start({}, { captureLogs: true });
  ({ admin, agent } = await api.registerAdminAndAgent());
  reporter = await api.register('reporter');
  bystander = await api.register('bystander');
  lighthouse = await api.createProject(admin, 'Lighthouse');
  harbour = await api.createProject(admin, 'Harbour');
  const first = await api.createTicket(reporter, lighthouse, {
    title: '=HYPERLINK("http://evil.example","click")',
    description: 'Quotes "here", commas, and\nnew lines; non-ASCII: café, Zürich, 東京.',
    category: 'BUG',
  });
  await api.ok(
    UPDATE_TICKET,
    { id: first, input: { assigneeId: agent.id, status: 'IN_PROGRESS', priority: 'HIGH', comment: COMMENT } },
    agent.token,
  );
  await api.ok(
    UPDATE_TICKET,
    { id: first, input: { comment: '-2 days of logs: looks like the proxy', internal: true } },
    agent.token,
  );
  await api.ok(UPDATE_TICKET, { id: first, input: { comment: '@agent1 thanks!' } }, reporter.token);
  const second = await api.createTicket(admin, lighthouse, {
    title: '+1 for dark mode',
    description: '-- plain text, starting with a dash',
    category: 'IMPROVEMENT',
  });
  await api.ok(UPDATE_TICKET, { id: second, input: { status: 'CLOSED', comment: '=1+1' } }, admin.token);
  const third = await api.createTicket(reporter, harbour, { title: 'Crane light is out' });
  ticketIds = [first, second, third];
});

afterAll(async () => {
  await api.stop();
});

describe('JSON (format v1)', () => {
  test('one project: header, the users its tickets name, the project, its tickets with every job', async () => {
    const file = await download(`?project=${lighthouse}&format=json`, bearer(admin.token));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const today = new Date().toISOString().slice(0, 10);
    expect(file.headers.get('content-disposition')).toBe(
      `attachment; filename="simple-ticketing-project-${lighthouse}-${today}.json"`,
    );
    expect(file.headers.get('cache-control')).toBe('no-store');
    const document = file.json as ExportDocument;
    expect(Object.keys(document)).toEqual([
      'format',
      'version',
      'exportedAt',
      'scope',
      'users',
      'projects',
      'tickets',
    ]);
    expect(document).toMatchObject({
      format: 'simple-ticketing-export',
      version: 1,
      scope: { projectId: lighthouse },
    });
    expect(Date.parse(document.exportedAt)).toBeGreaterThan(Date.now() - 60_000);
    // The bystander reported nothing in this project: not named, not exported.
    expect(document.users.map((user) => user.username).sort()).toEqual(
      [admin.username, agent.username, reporter.username].sort(),
    );
    const agentRow = document.users.find((user) => user.id === agent.id);
    expect(agentRow).toEqual({
      id: agent.id,
      username: agent.username,
      email: agent.email,
      role: 'AGENT',
      locale: 'EN',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(document.projects).toEqual([
      {
        id: lighthouse,
        name: 'Lighthouse',
        description: 'About Lighthouse',
        archived: false,
        createdAt: expect.any(String),
      },
    ]);
    const expected = await Promise.all(ticketIds.slice(0, 2).map(ticketView));
    expect(document.tickets).toEqual(expected.map(exportedFromView));
  });

  test('internal notes are there, flagged; the comment keeps its quotes, line breaks and accents', async () => {
    const document = (await download(`?project=${lighthouse}`, bearer(admin.token))).json as ExportDocument;
    const jobs = document.tickets[0].jobs;
    expect(jobs.map((job) => [job.comment, job.internal])).toEqual([
      [null, false],
      [COMMENT, false],
      ['-2 days of logs: looks like the proxy', true],
      ['@agent1 thanks!', false],
    ]);
    expect(jobs[1].changes).toEqual(
      expect.arrayContaining([
        { field: 'status', from: 'OPEN', to: 'IN_PROGRESS' },
        { field: 'assignee', from: null, to: agent.username },
      ]),
    );
  });

  test('everything: every user, every project, every ticket', async () => {
    const document = (await download('?format=json', bearer(admin.token))).json as ExportDocument;
    expect(document.scope).toEqual({ projectId: null });
    expect(document.users.map((user) => user.id)).toEqual(
      [admin, agent, reporter, bystander].map((user) => user.id),
    );
    expect(document.projects.map((project) => project.name)).toEqual(['Lighthouse', 'Harbour']);
    expect(document.tickets.map((ticket) => ticket.id)).toEqual(ticketIds);
    expect(document.tickets[2]).toEqual(exportedFromView(await ticketView(ticketIds[2])));
  });
});

describe('CSV', () => {
  test('tickets: a BOM, CRLF records, RFC 4180 quoting, one row a ticket, injection neutralised', async () => {
    const file = await download(`?project=${lighthouse}&format=csv`, bearer(admin.token));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(file.headers.get('content-disposition')).toMatch(
      new RegExp(
        `^attachment; filename="simple-ticketing-project-${lighthouse}-tickets-\\d{4}-\\d\\d-\\d\\d\\.csv"$`,
      ),
    );
    expect([...file.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(file.text.slice(1)).toMatch(/^id,project,title,description,status,priority,category,author,/);
    expect(file.text.endsWith('\r\n')).toBe(true);
    // Every line break between records is CRLF; the bare \n live inside quoted fields.
    expect(file.text.split('\r\n')[0]).not.toContain('\n');
    expect(file.text).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);

    const records: string[][] = parse(file.text, { bom: true });
    const views = await Promise.all(ticketIds.slice(0, 2).map(ticketView));
    expect(records).toEqual([
      [
        'id',
        'project',
        'title',
        'description',
        'status',
        'priority',
        'category',
        'author',
        'author email',
        'assignee',
        'created',
        'updated',
        'closed',
        'jobs',
      ],
      ...views.map((view) =>
        [
          view.id,
          'Lighthouse',
          view.title,
          view.description,
          view.status,
          view.priority,
          view.category,
          view.author.username,
          view.author.email,
          view.assignee?.username ?? '',
          view.createdAt,
          view.updatedAt,
          view.closedAt ?? '',
          String(view.jobs.length),
        ].map(neutralised),
      ),
    ]);
    expect(records[1][2]).toBe(`'=HYPERLINK("http://evil.example","click")`);
    expect(records[2][2]).toBe(`'+1 for dark mode`);
    expect(records[2][3]).toBe(`'-- plain text, starting with a dash`);
  });

  test('jobs: one row a job, internal notes flagged, changes as text, comments intact', async () => {
    const file = await download(`?project=${lighthouse}&format=csv&part=jobs`, bearer(admin.token));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-disposition')).toContain(`-project-${lighthouse}-jobs-`);
    expect([...file.bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const records: string[][] = parse(file.text, { bom: true });
    const views = await Promise.all(ticketIds.slice(0, 2).map(ticketView));
    const changesText = (changes: { field: string; from: string | null; to: string | null }[]) =>
      changes
        .map((change) => `${change.field}: ${change.from ?? '(none)'} → ${change.to ?? '(none)'}`)
        .join('\n');
    expect(records).toEqual([
      ['ticket', 'job', 'author', 'created', 'status', 'internal', 'comment', 'changes'],
      ...views.flatMap((view) =>
        view.jobs.map((job: any) =>
          [
            view.id,
            job.id,
            job.author.username,
            job.createdAt,
            job.status,
            String(job.internal),
            job.comment ?? '',
            changesText(job.changes),
          ].map(neutralised),
        ),
      ),
    ]);
    const comments = records.slice(1).map((record) => [record[6], record[5]]);
    expect(comments).toEqual([
      ['', 'false'],
      [COMMENT, 'false'],
      [`'-2 days of logs: looks like the proxy`, 'true'],
      [`'@agent1 thanks!`, 'false'],
      ['', 'false'],
      [`'=1+1`, 'false'],
    ]);
    expect(records[2][7].split('\n')).toEqual(
      expect.arrayContaining(['status: OPEN → IN_PROGRESS', `assignee: (none) → ${agent.username}`]),
    );
  });

  test('everything: every ticket of every project', async () => {
    const file = await download('?format=csv', bearer(admin.token));
    const records: string[][] = parse(file.text, { bom: true });
    expect(records.slice(1).map((record) => [record[0], record[1]])).toEqual([
      [ticketIds[0], 'Lighthouse'],
      [ticketIds[1], 'Lighthouse'],
      [ticketIds[2], 'Harbour'],
    ]);
  });
});

test('no password hash, session version or token secret in any export', async () => {
  const rows: { passwordHash: string }[] = await api.server.services.database.dataSource.query(
    'SELECT "passwordHash" FROM "user"',
  );
  expect(rows.length).toBe(4);
  for (const query of ['?format=json', '?format=csv', '?format=csv&part=jobs']) {
    const { text } = await download(query, bearer(admin.token));
    expect(text).not.toMatch(/passwordHash|sessionVersion|password|\$2[aby]\$/i);
    for (const { passwordHash } of rows) expect(text).not.toContain(passwordHash);
  }
});

describe('who may export', () => {
  const readToken = async (owner: TestUser) => {
    const data = await api.ok<{ createApiToken: { secret: string } }>(
      'mutation { createApiToken(input: { name: "export", scope: READ }) { secret } }',
      {},
      owner.token,
    );
    return data.createApiToken.secret;
  };

  test('anonymous callers and bad credentials: 401 UNAUTHENTICATED, in the JSON error shape', async () => {
    for (const headers of [{}, bearer('not-a-token'), { cookie: 'st_session=forged' }] as Record<
      string,
      string
    >[]) {
      const file = await download('?format=json', headers);
      expect(file.status).toBe(401);
      expect(file.headers.get('content-type')).toMatch(/^application\/json/);
      expect(file.headers.get('content-disposition')).toBeNull();
      expect(file.json.error.code).toBe('UNAUTHENTICATED');
    }
  });

  test('a USER and an AGENT: 403 FORBIDDEN, with a session or a token of theirs', async () => {
    for (const headers of [
      bearer(reporter.token),
      bearer(agent.token),
      bearer(await readToken(agent)),
      { cookie: `st_session=${agent.token}` },
    ]) {
      const file = await download(`?project=${lighthouse}&format=csv`, headers);
      expect(file.status).toBe(403);
      expect(file.json.error.code).toBe('FORBIDDEN');
      expect(file.text).not.toContain('HYPERLINK');
    }
  });

  test("an ADMIN's READ token may export, and pays its cost; so does the session cookie", async () => {
    const byToken = await download(`?project=${lighthouse}&format=json`, bearer(await readToken(admin)));
    expect(byToken.status).toBe(200);
    expect(byToken.headers.get('x-cost-requested')).toBe('10');
    expect(byToken.json.tickets).toHaveLength(2);
    const byCookie = await download(`?project=${lighthouse}&format=csv&part=jobs`, {
      cookie: `st_session=${admin.token}`,
    });
    expect(byCookie.status).toBe(200);
    expect(byCookie.text).toContain('ticket,job,author');
  });
});

describe('bad requests: the contract code, before any byte of the file', () => {
  test.each([
    ['?format=xml', 'format', 'format must be json or csv.'],
    ['?format=JSON', 'format', 'format must be json or csv.'],
    ['?format=json&format=csv', 'format', 'format must be json or csv.'],
    ['?format=csv&part=comments', 'part', 'part must be tickets or jobs.'],
    ['?format=json&part=jobs', 'part', 'part applies to the CSV export only (format=csv).'],
    ['?part=jobs', 'part', 'part applies to the CSV export only (format=csv).'],
    ['?project=abc', 'project', 'project must be a positive whole number, like "42".'],
    ['?project=0', 'project', 'project must be a positive whole number, like "42".'],
    ['?project=', 'project', 'project must be a positive whole number, like "42".'],
    ['?project=1&project=2', 'project', 'Give project once, as a project id like "42".'],
    ['?projet=1', 'projet', 'Unknown parameter projet: an export takes project, format and part.'],
  ])('%s → BAD_USER_INPUT on %s', async (query, field, message) => {
    const file = await download(query, bearer(admin.token));
    expect(file.status).toBe(400);
    expect(file.headers.get('content-type')).toMatch(/^application\/json/);
    expect(file.headers.get('content-disposition')).toBeNull();
    expect(file.json).toEqual({
      error: {
        code: 'BAD_USER_INPUT',
        message,
        invalidFields: [{ field, rule: expect.any(String), message }],
      },
    });
  });

  test('an unknown project is NOT_FOUND', async () => {
    const file = await download('?project=9999&format=csv', bearer(admin.token));
    expect(file.status).toBe(404);
    expect(file.json).toEqual({ error: { code: 'NOT_FOUND', message: 'Project 9999 not found.' } });
    expect(file.headers.get('content-disposition')).toBeNull();
  });

  test('HEAD says whether the export would be given (status, headers), and runs nothing', async () => {
    let response: Response | undefined;
    const statements = await api.sqlDuring(async () => {
      response = await fetch(`${api.url}/api/export?project=${lighthouse}&format=json`, {
        method: 'HEAD',
        headers: bearer(admin.token),
      });
    });
    expect(response!.status).toBe(200);
    expect(response!.headers.get('content-disposition')).toMatch(/attachment; filename="simple-ticketing-/);
    // Authentication and the plan's checks, not the thousands of rows of an export.
    expect(statements).toBeLessThan(5);
    const refused = await fetch(`${api.url}/api/export?format=xml`, {
      method: 'HEAD',
      headers: bearer(admin.token),
    });
    expect(refused.status).toBe(400);
  });

  test('the refusals say nothing of SQL or stacks', async () => {
    const file = await download("?project=1'--", bearer(admin.token));
    expect(file.status).toBe(400);
    expect(file.text).not.toMatch(/SELECT|sqlite|at .*\.ts/i);
  });
});

describe('a database fault half-way through', () => {
  test('cuts the connection, so the file cannot pass for complete, and is logged', async () => {
    const database = api.server.services.database;
    // Enough tickets for several batches (TICKET_BATCH).
    await database.transaction(async (manager) => {
      for (let i = 0; i < 1200; i += 1) {
        await rawQuery(
          manager,
          `INSERT INTO "ticket" (title, description, status, priority, category, "projectId", "authorId", "createdAt", "updatedAt")
           VALUES (?, 'Bulk', 0, 1, 'BUG', ?, ?, ?, ?)`,
          [`Bulk ${i}`, Number(harbour), Number(reporter.id), Date.now(), Date.now()],
        );
      }
    });
    const complete = await download(`?project=${harbour}&format=json`, bearer(admin.token));
    expect(complete.json.tickets).toHaveLength(1201);

    const original = database.readCommitted.bind(database);
    let reads = 0;
    let failAt = 0;
    const spy = jest.spyOn(database, 'readCommitted').mockImplementation((work) => {
      reads += 1;
      // Failing a moment later, as a real read would: what was written before has left the socket
      // (Node.js 22 and later buffer up to 64 KiB before a write waits).
      if (reads === failAt) {
        return new Promise((_, reject) =>
          setTimeout(() => reject(new Error('disk I/O error (simulated)')), 50),
        );
      }
      return original(work);
    });
    try {
      // The read of the second batch, once the first (some 60 kB) has gone out: JSON reads the project,
      // users (twice), projects, then tickets and jobs; CSV the project, then tickets and job counts.
      for (const [query, read] of [
        [`?project=${harbour}&format=json`, 8],
        [`?project=${harbour}&format=csv`, 5],
      ] as const) {
        reads = 0;
        failAt = read;
        const response = await fetch(`${api.url}/api/export${query}`, { headers: bearer(admin.token) });
        expect(response.status).toBe(200);
        await expect(response.text()).rejects.toThrow('terminated');
      }
    } finally {
      spy.mockRestore();
    }
    const failures = api.logs.filter((line) => line.msg?.startsWith('export failed after it began'));
    expect(failures).toHaveLength(2);
    expect(failures[0].err.message).toBe('disk I/O error (simulated)');
    // The service goes on answering.
    expect((await download(`?project=${lighthouse}`, bearer(admin.token))).status).toBe(200);
  });
});

test('a download abandoned half-way stops the reading, and is logged as such', async () => {
  const database = api.server.services.database;
  const archive = await api.createProject(admin, 'Archive');
  // Some 12 MB: more than the sockets between the two ends can hold, so the service must wait for the reader.
  await database.transaction((manager) =>
    rawQuery(
      manager,
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
       INSERT INTO "ticket" (title, description, status, priority, category, "projectId", "authorId", "createdAt", "updatedAt")
       SELECT 'Old ' || i, ${isPostgres(manager) ? "repeat('x', 4000)" : "printf('%.4000c', 'x')"}, 0, 1, 'BUG', ?, ?, ?, ? FROM n`,
      [Number(archive), Number(admin.id), Date.now(), Date.now()],
    ),
  );
  let reads = 0;
  const original = database.readCommitted.bind(database);
  const spy = jest.spyOn(database, 'readCommitted').mockImplementation((work) => {
    reads += 1;
    return original(work);
  });
  try {
    const controller = new AbortController();
    const response = await fetch(`${api.url}/api/export?project=${archive}`, {
      headers: bearer(admin.token),
      signal: controller.signal,
    });
    await response.body!.getReader().read();
    controller.abort();
    const deadline = Date.now() + 5000;
    while (!api.logs.some((line) => line.msg === 'export abandoned by the reader') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(api.logs.filter((line) => line.msg === 'export abandoned by the reader')).toHaveLength(1);
    const readsWhenAbandoned = reads;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(reads).toBe(readsWhenAbandoned);
    // 15 batches of 200 tickets, two reads each, had it gone to the end.
    expect(reads).toBeLessThan(30);
  } finally {
    spy.mockRestore();
  }
});
