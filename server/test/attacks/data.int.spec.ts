import http from 'node:http';
import zlib from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { leakedInternals } from '../support/assertions';
import { UPDATE_PROJECT, UPDATE_TICKET } from '../support/operations';
import { type RawResponse, TestApi, type TestUser, errorCodes } from '../support/test-server';

/**
 * Attacks on the data routes (GET /api/export, POST /api/import, GET /api/projects/:id/report), each a
 * defect found once and fixed, or a door tried that held: kept so that none of them opens again.
 */

const MAX_MB = 1;
const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`;
const CREATE_WEBHOOK = `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret } }`;

/** What a spreadsheet would run: a cell starting with one of these (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;
const PAYLOADS = [
  '=HYPERLINK("http://evil.test","x")',
  '+SUM(1+1)',
  "-2+3+cmd|' /C calc'!A0",
  '@SUM(1+1)',
  '\t=1+1',
  '\r=1+1',
  '\uFF1D1+1',
];
const XSS = `<script>alert(1)</script>"><img src=x onerror=alert(1)>'`;

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let user: TestUser;
let projectId: string;
let archivedId: string;
let readToken: string;
let writeToken: string;
let agentReadToken: string;
let webhookSecret: string;

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const cookieOf = (who: TestUser) => ({ cookie: `st_session=${who.token}` });

async function tokenOf(owner: TestUser, scope: 'READ' | 'WRITE'): Promise<string> {
  const data = await api.ok<{ createApiToken: { secret: string } }>(
    CREATE_TOKEN,
    { input: { name: `${scope} ${Math.random()}`, scope } },
    owner.token,
  );
  return data.createApiToken.secret;
}

function postImport(
  body: string | Buffer,
  options: { query?: string; type?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return api.http(`/api/import${options.query ?? ''}`, {
    method: 'POST',
    headers: {
      'content-type': options.type ?? 'application/json',
      ...(options.headers ?? bearer(admin.token)),
    },
    body: body as string,
  });
}

const postCsv = (csv: string | Buffer, query = `project=${projectId}`) =>
  postImport(csv, { query: `?format=csv&${query}`, type: 'text/csv' });

/** A small valid export document (format v1) with a project of its own name. */
function exportDocument(overrides: { users?: object[]; tickets?: object[]; name?: string } = {}) {
  return {
    format: 'simple-ticketing-export',
    version: 1,
    exportedAt: '2026-01-01T00:00:00.000Z',
    scope: { projectId: null },
    users: overrides.users ?? [
      {
        id: 'u1',
        username: 'someone',
        email: 'someone@elsewhere.test',
        role: 'USER',
        locale: 'EN',
        createdAt: '2025-01-01T00:00:00.000Z',
      },
    ],
    projects: [
      {
        id: 'p1',
        name: overrides.name ?? `Imported ${Math.random()}`,
        description: '',
        archived: false,
        createdAt: '2025-01-01T00:00:00.000Z',
      },
    ],
    tickets: overrides.tickets ?? [],
  };
}

function ticketOf(id: string, authorId = 'u1') {
  return {
    id,
    projectId: 'p1',
    title: 'An imported ticket',
    description: '',
    status: 'OPEN',
    priority: 'NORMAL',
    category: 'OTHER',
    authorId,
    assigneeId: null,
    createdAt: '2025-02-01T00:00:00.000Z',
    updatedAt: '2025-02-01T00:00:00.000Z',
    closedAt: null,
    jobs: [],
  };
}

/** A request whose body is sent in chunks, without a Content-Length, as slowly as asked. */
function chunkedPost(
  path: string,
  headers: Record<string, string>,
  chunks: Iterable<Buffer>,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${api.url}${path}`, { method: 'POST', headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (part: string) => (text += part));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('error', reject);
    const write = (iterator: Iterator<Buffer>) => {
      for (;;) {
        const next = iterator.next();
        if (next.done) return void request.end();
        // The server may answer and close early: stop sending then.
        if (request.destroyed) return;
        if (!request.write(next.value)) return void request.once('drain', () => write(iterator));
      }
    };
    write(chunks[Symbol.iterator]());
  });
}

beforeAll(async () => {
  api = await TestApi.start({ importMaxMb: MAX_MB, apiTokenBudget: 100_000 });
  ({ admin, agent } = await api.registerAdminAndAgent());
  user = await api.register('user');
  projectId = await api.createProject(admin, `=cmd|' /C calc'!A0 ${XSS}`.slice(0, 80));
  await api.ok(UPDATE_PROJECT, { id: projectId, input: { description: `-${XSS}` } }, admin.token);
  for (const payload of PAYLOADS) {
    const id = await api.createTicket(user, projectId, {
      title: `${payload} ${XSS}`.slice(0, 200),
      description: payload,
    });
    await api.ok(UPDATE_TICKET, { id, input: { comment: payload } }, agent.token);
    await api.ok(UPDATE_TICKET, { id, input: { title: `${payload} again` } }, agent.token);
  }
  archivedId = await api.createProject(admin, 'Archived long ago');
  await api.createTicket(user, archivedId, { title: 'In an archived project' });
  await api.ok(UPDATE_PROJECT, { id: archivedId, input: { archived: true } }, admin.token);
  readToken = await tokenOf(admin, 'READ');
  writeToken = await tokenOf(admin, 'WRITE');
  agentReadToken = await tokenOf(agent, 'READ');
  const hook = await api.ok<{ createWebhook: { secret: string } }>(
    CREATE_WEBHOOK,
    { input: { url: 'https://hooks.example.com/in' } },
    admin.token,
  );
  webhookSecret = hook.createWebhook.secret;
});

afterAll(async () => {
  await api?.stop();
});

describe('who may call each route, by every credential', () => {
  test('export: anonymous 401; USER, AGENT and an AGENT token 403; an ADMIN by session, cookie, READ or WRITE token 200', async () => {
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [bearer('st_forged'), 401],
      [bearer(user.token), 403],
      [cookieOf(user), 403],
      [bearer(agent.token), 403],
      [bearer(agentReadToken), 403],
      [bearer(admin.token), 200],
      [cookieOf(admin), 200],
      [bearer(readToken), 200],
      [bearer(writeToken), 200],
    ];
    for (const [headers, status] of cases) {
      const response = await api.http(`/api/export?project=${projectId}&format=csv`, { headers });
      expect([headers, response.status]).toEqual([headers, status]);
      if (status !== 200) expect(response.text).not.toContain('=cmd');
    }
  });

  test('import: anonymous 401, USER and AGENT 403, a READ token 403, and nothing written by any of them', async () => {
    const before = await api.snapshot();
    const body = JSON.stringify(exportDocument());
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [bearer(user.token), 403],
      [bearer(agent.token), 403],
      [bearer(agentReadToken), 403],
      [bearer(readToken), 403],
    ];
    for (const [headers, status] of cases) {
      const response = await postImport(body, { headers });
      expect([headers, response.status]).toEqual([headers, status]);
    }
    expect(await api.snapshot()).toEqual(before);
    const byWriteToken = await postImport(body, { query: '?dryRun=true', headers: bearer(writeToken) });
    expect(byWriteToken.status).toBe(200);
    expect(await api.snapshot()).toEqual(before);
  });

  test('report: anonymous 401, a USER 403 by Bearer or cookie, an AGENT and an AGENT READ token 200', async () => {
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [bearer(user.token), 403],
      [cookieOf(user), 403],
      [bearer(agent.token), 200],
      [cookieOf(agent), 200],
      [bearer(agentReadToken), 200],
    ];
    for (const [headers, status] of cases) {
      const response = await api.http(`/api/projects/${projectId}/report`, { headers });
      expect([headers, response.status]).toEqual([headers, status]);
    }
  });
});

describe('CSRF on import with the session cookie', () => {
  const cases: [string, Record<string, string>][] = [
    ['text/plain, no Origin', { 'content-type': 'text/plain' }],
    ['a form, no Origin', { 'content-type': 'application/x-www-form-urlencoded' }],
    ['multipart, no Origin', { 'content-type': 'multipart/form-data; boundary=x' }],
    ['no Content-Type', {}],
    ['JSON from another site', { 'content-type': 'application/json', origin: 'https://evil.example' }],
    ['JSON from an opaque origin', { 'content-type': 'application/json', origin: 'null' }],
    ['CSV from another site', { 'content-type': 'text/csv', origin: 'https://evil.example' }],
  ];
  test.each(cases)('%s: refused 403, nothing written', async (_name, headers) => {
    const before = await api.snapshot();
    const lookalike = { ...headers };
    const response = await api.http(`/api/import?format=csv&project=${projectId}`, {
      method: 'POST',
      headers: { ...cookieOf(admin), ...lookalike },
      body: 'title\nA forged ticket\n',
    });
    expect(response.status).toBe(403);
    expect(await api.snapshot()).toEqual(before);
  });

  test('an Origin that only starts like this site is another site', async () => {
    const before = await api.snapshot();
    const response = await api.http(`/api/import?format=csv&project=${projectId}`, {
      method: 'POST',
      headers: {
        ...cookieOf(admin),
        'content-type': 'text/csv',
        origin: `${api.url}.evil.example`,
      },
      body: 'title\nA forged ticket\n',
    });
    expect(response.status).toBe(403);
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('CSV injection in every exported cell', () => {
  test('no cell of the tickets or jobs file starts with a formula character', async () => {
    for (const part of ['tickets', 'jobs']) {
      const response = await api.http(`/api/export?format=csv&part=${part}`, {
        headers: bearer(admin.token),
      });
      expect(response.status).toBe(200);
      const records = parse(response.text, { bom: true, relax_column_count: false }) as string[][];
      const cells = records.flat();
      // The payloads are there, neutralised.
      expect(cells).toContain(`'${PAYLOADS[0]}`);
      expect(cells.filter((cell) => FORMULA_START.test(cell))).toEqual([]);
    }
  });
});

describe('XSS in the report', () => {
  let html: string;
  beforeAll(async () => {
    const response = await api.http(`/api/projects/${projectId}/report`, { headers: bearer(agent.token) });
    expect(response.status).toBe(200);
    html = response.text;
  });

  test('titles, descriptions, comments, changes and the project are escaped; the page runs only its hashed script', async () => {
    expect(html).not.toContain('<script>alert');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain(
      '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;',
    );
    expect(html.match(/<script/g)).toHaveLength(1);
    const response = await api.http(`/api/projects/${projectId}/report`, { headers: bearer(agent.token) });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline'; script");
    expect(csp).toMatch(/script-src 'sha256-[^']+'(;|$)/);
  });

  test.each([
    ['lang', `lang=${encodeURIComponent(XSS)}`],
    ['from', `from=${encodeURIComponent(XSS)}`],
    ['to', `to=${encodeURIComponent(XSS)}`],
  ])('a hostile %s is refused in an escaped page under the same CSP', async (_name, query) => {
    const response = await api.http(`/api/projects/${projectId}/report?${query}`, {
      headers: { ...bearer(agent.token), accept: 'text/html' },
    });
    expect(response.status).toBe(400);
    expect(response.text).not.toContain('<script>');
    expect(response.text).not.toContain('<img');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  test('a hostile project id is refused in an escaped page', async () => {
    const response = await api.http(`/api/projects/${encodeURIComponent(XSS)}/report`, {
      headers: { ...bearer(agent.token), accept: 'text/html' },
    });
    expect(response.status).toBe(400);
    expect(response.text).not.toContain('<script>');
    expect(response.text).not.toContain('<img');
  });
});

describe('no secret in an export', () => {
  test('the full JSON export holds no password hash, session version, token or webhook secret', async () => {
    const response = await api.http('/api/export?format=json', { headers: bearer(admin.token) });
    expect(response.status).toBe(200);
    const text = response.text;
    for (const secret of ['passwordHash', 'sessionVersion', '$2a$', '$2b$', 'tokenHash', 'secret']) {
      expect([secret, text.includes(secret)]).toEqual([secret, false]);
    }
    for (const value of [readToken, writeToken, webhookSecret, admin.token]) {
      expect(text).not.toContain(value);
    }
    const users = response.json.users as Record<string, unknown>[];
    for (const exported of users) {
      expect(Object.keys(exported).sort()).toEqual([
        'createdAt',
        'email',
        'id',
        'locale',
        'role',
        'username',
      ]);
    }
  });

  test("a project's export names only the people of that project", async () => {
    const outsider = await api.register('outsider');
    const response = await api.http(`/api/export?project=${projectId}`, { headers: bearer(admin.token) });
    expect(response.text).not.toContain(outsider.email);
    expect(response.text).not.toContain(outsider.username);
  });
});

describe('hostile JSON imports', () => {
  test('deeply nested JSON is refused as a whole, without a crash', async () => {
    const before = await api.snapshot();
    const depth = 200_000;
    const response = await postImport('['.repeat(depth) + ']'.repeat(depth));
    expect(response.status).toBe(400);
    expect(errorCodes({ errors: [{ message: '', extensions: response.json.error }] } as never)).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(leakedInternals(response.text)).toEqual([]);
    expect(await api.snapshot()).toEqual(before);
  });

  test('__proto__ and constructor keys are data, not prototypes', async () => {
    const document = exportDocument({
      users: [
        {
          id: '__proto__',
          username: 'proto.user',
          email: 'proto@elsewhere.test',
          role: 'USER',
          locale: 'EN',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
      ],
      tickets: [ticketOf('__proto__', '__proto__'), ticketOf('constructor', '__proto__')],
    });
    const text = JSON.stringify(document).replace('"tickets":[', '"__proto__":{"polluted":true},"tickets":[');
    const response = await postImport(text);
    expect(response.status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(response.json.ids.users)).toEqual(['__proto__']);
    // Every ticket of the file has its new id in the answer, "__proto__" included.
    expect(Object.keys(response.json.ids.tickets).sort()).toEqual(['__proto__', 'constructor']);
  });

  test('enormous numbers and wrong types are refused by name, not thrown', async () => {
    const document: Record<string, unknown> = exportDocument();
    const text = JSON.stringify({ ...document, version: 1 }).replace('"version":1', '"version":1e999');
    const response = await postImport(text);
    expect(response.status).toBe(400);
    expect(response.json.error.invalidFields[0].field).toBe('version');
    const ids = await postImport(
      JSON.stringify(exportDocument({ tickets: [{ ...ticketOf('1'), id: 1e308, createdAt: 9e99 }] })),
    );
    expect(ids.status).toBe(400);
    expect(leakedInternals(ids.text)).toEqual([]);
  });

  test('invalid UTF-8 and binary bodies are refused 400, not 500', async () => {
    for (const body of [Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), zlib.gzipSync(Buffer.from('not json'))]) {
      const response = await postImport(body);
      expect(response.status).toBe(400);
      expect(leakedInternals(response.text)).toEqual([]);
    }
  });

  test('a body that says gzip (or deflate, br) and is not is refused 400 by its Content-Encoding, not 500', async () => {
    const before = await api.snapshot();
    for (const encoding of ['gzip', 'deflate', 'br']) {
      const response = await postImport('{"format":"simple-ticketing-export"}', {
        headers: { ...bearer(admin.token), 'content-encoding': encoding },
      });
      expect([encoding, response.status]).toEqual([encoding, 400]);
      expect(response.json.error).toMatchObject({
        code: 'BAD_USER_INPUT',
        invalidFields: [{ field: 'Content-Encoding', rule: 'format' }],
      });
      expect(leakedInternals(response.text)).toEqual([]);
    }
    expect(await api.snapshot()).toEqual(before);
  });

  test('a gzip bomb is measured inflated: 413, nothing written', async () => {
    const before = await api.snapshot();
    const bomb = zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024, 0x20));
    expect(bomb.length).toBeLessThan(MAX_MB * 1024 * 1024);
    const response = await postImport(bomb, {
      headers: { ...bearer(admin.token), 'content-encoding': 'gzip' },
    });
    expect(response.status).toBe(413);
    expect(await api.snapshot()).toEqual(before);
  });

  test('a chunked body past the limit, without Content-Length, is 413 and the server lives on', async () => {
    const before = await api.snapshot();
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const response = await chunkedPost(
      '/api/import',
      { ...bearer(admin.token), 'content-type': 'application/json' },
      (function* () {
        for (let sent = 0; sent < 4 * MAX_MB * 1024 * 1024; sent += chunk.length) yield chunk;
      })(),
    );
    expect(response.status).toBe(413);
    expect(await api.snapshot()).toEqual(before);
    expect((await api.http('/healthz')).status).toBe(200);
  });

  test('an existing account is never changed: same email, another username and role ADMIN', async () => {
    const victim = await api.register('victim');
    const document = exportDocument({
      users: [
        {
          id: 'x',
          username: 'taker',
          email: `  ${victim.email.toUpperCase()} `,
          role: 'ADMIN',
          locale: 'FR',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
      ],
      tickets: [ticketOf('t', 'x')],
    });
    const response = await postImport(JSON.stringify(document));
    expect(response.status).toBe(200);
    expect(response.json.users).toMatchObject({ created: 0, matched: 1 });
    const [row] = await api.sql(`SELECT "username", "email", "role", "locale" FROM "user" WHERE "id" = ?`, [
      Number(victim.id),
    ]);
    expect(row).toEqual({ username: victim.username, email: victim.email, role: 'USER', locale: 'EN' });
    // And the victim still signs in with their own password.
    expect((await api.login(victim.email, victim.password)).errors).toBeUndefined();
  });

  test('the dry run names every account it would create with its role, ADMIN above all', async () => {
    const before = await api.snapshot();
    const document = exportDocument({
      users: [
        {
          id: 'a',
          username: 'stranger',
          email: 'stranger@elsewhere.test',
          role: 'ADMIN',
          locale: 'EN',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
        {
          id: 'b',
          username: admin.username,
          email: admin.email,
          role: 'ADMIN',
          locale: 'EN',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
        {
          id: 'c',
          username: agent.username,
          email: 'second.agent@elsewhere.test',
          role: 'AGENT',
          locale: 'EN',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
      ],
    });
    // The importer sees, before anything is written, who would become an ADMIN or an AGENT here.
    const response = await postImport(JSON.stringify(document), { query: '?dryRun=true' });
    expect(response.status).toBe(200);
    expect(response.json.users).toMatchObject({ created: 2, matched: 1 });
    expect(response.json.users.createdAccounts).toEqual([
      { email: 'stranger@elsewhere.test', username: 'stranger', role: 'ADMIN' },
      { email: 'second.agent@elsewhere.test', username: `${agent.username}-2`, role: 'AGENT' },
    ]);
    expect(response.json.message).toContain('2 users to create, 1 ADMIN and 1 AGENT among them');
    expect(await api.snapshot()).toEqual(before);
    // The real import answers the same list.
    const done = await postImport(JSON.stringify(document));
    expect(done.json.users.createdAccounts).toEqual(response.json.users.createdAccounts);
  });

  test('an imported account cannot sign in before a reset, and its login is a clean refusal', async () => {
    const document = exportDocument({
      users: [
        {
          id: 'n',
          username: 'newcomer',
          email: 'newcomer@elsewhere.test',
          role: 'ADMIN',
          locale: 'EN',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
      ],
    });
    expect((await postImport(JSON.stringify(document))).status).toBe(200);
    for (const password of ['', '!imported: set through password reset', 'correct horse battery staple']) {
      const login = await api.login('newcomer@elsewhere.test', password);
      expect(login.data?.login ?? null).toBeNull();
      expect(errorCodes(login)).not.toContain('INTERNAL_SERVER_ERROR');
    }
  });
});

describe('hostile CSV imports', () => {
  test('a role column is ignored: accounts from a CSV are USERs', async () => {
    const response = await postCsv(
      'title,author email,role\nMake me an admin,climber@elsewhere.test,ADMIN\n',
      `project=${projectId}&dryRun=false`,
    );
    expect(response.status).toBe(200);
    expect(response.json.unknownColumns).toEqual(['role']);
    const [row] = await api.server.services.database.dataSource.query(
      `SELECT "role" FROM "user" WHERE "emailKey" = 'climber@elsewhere.test'`,
    );
    expect(row.role).toBe('USER');
  });

  test('a file of 400,000 one-letter rows is refused as a whole, quickly, with a short answer', async () => {
    const before = await api.snapshot();
    const started = Date.now();
    const response = await postCsv(`title\n${'x\n'.repeat(400_000)}`);
    expect(response.status).toBe(400);
    expect(response.json.error.invalidFields[0]).toMatchObject({ field: 'line 100002', rule: 'length' });
    expect(response.text.length).toBeLessThan(2000);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await api.snapshot()).toEqual(before);
  });

  test('a header of 500,000 columns is refused at line 1, with a short answer', async () => {
    const before = await api.snapshot();
    const response = await postCsv(`title${','.repeat(500_000)}\nA ticket\n`);
    expect(response.status).toBe(400);
    expect(response.json.error.invalidFields[0]).toMatchObject({ field: 'line 1', rule: 'length' });
    expect(response.text.length).toBeLessThan(2000);
    expect(await api.snapshot()).toEqual(before);
  });

  test('a row of 500,000 fields is refused as a whole at its line', async () => {
    const before = await api.snapshot();
    const response = await postCsv(`title\nA ticket\nAnother${','.repeat(500_000)}\n`);
    expect(response.status).toBe(400);
    expect(response.json.error.invalidFields[0]).toMatchObject({ field: 'line 3', rule: 'length' });
    expect(await api.snapshot()).toEqual(before);
  });

  test('a very long field is refused by its row, without a crash', async () => {
    const response = await postCsv(`title,description\n"${'x'.repeat(600_000)}","${'y'.repeat(300_000)}"\n`);
    expect(response.status).toBe(200);
    expect(response.json.tickets).toBe(0);
    expect(response.json.refusedRows).toHaveLength(1);
  });

  test('an archived project and an unknown one take no CSV', async () => {
    const before = await api.snapshot();
    expect((await postCsv('title\nA ticket\n', `project=${archivedId}`)).status).toBe(400);
    expect((await postCsv('title\nA ticket\n', 'project=999999')).status).toBe(404);
    expect((await postCsv('title\nA ticket\n', 'project=99999999999999999999999')).status).toBe(400);
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('the report, stretched', () => {
  test('an archived project is reported to staff', async () => {
    const response = await api.http(`/api/projects/${archivedId}/report`, { headers: bearer(agent.token) });
    expect(response.status).toBe(200);
    expect(response.text).toContain('In an archived project');
  });

  test.each(['from=2000-01-01&to=9999-12-31', 'from=0001-01-01', 'to=9999-12-31', 'from=9999-12-31'])(
    'an enormous period (%s) is a clean answer, never a 500',
    async (query) => {
      const response = await api.http(`/api/projects/${projectId}/report?${query}`, {
        headers: bearer(agent.token),
      });
      expect([query, response.status < 500]).toEqual([query, true]);
      expect(leakedInternals(response.text)).toEqual([]);
    },
  );

  test('a huge or odd id is 400 or 404, never 500', async () => {
    for (const id of ['99999999999999999999', '1e3', '-1', '0x10', '1%00']) {
      const response = await api.http(`/api/projects/${id}/report`, { headers: bearer(agent.token) });
      expect([id, [400, 404].includes(response.status)]).toEqual([id, true]);
    }
  });
});
