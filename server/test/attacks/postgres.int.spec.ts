import { randomBytes } from 'node:crypto';
import { Client, escapeIdentifier } from 'pg';
import { leakedInternals } from '../support/assertions';
import {
  CREATE_PROJECT,
  CREATE_TICKET,
  LOGIN,
  REGISTER,
  TICKET,
  TICKETS,
  UPDATE_PROJECT,
  UPDATE_TICKET,
} from '../support/operations';
import { FILE_DATABASES_ENV, POSTGRES_SERVER_ENV } from '../support/postgres';
import { onPostgres } from '../support/postgres-project';
import { type GraphQLResponse, type RawResponse, TestApi, type TestUser } from '../support/test-server';

/**
 * Inputs that PostgreSQL refuses where SQLite took them (ids past its integer, U+0000 in text, values
 * longer than a varchar, tampered cursors): each was a 500 on PostgreSQL once. Every test runs on both
 * databases and expects the same answer from each, never a 500 nor a driver's message.
 */

const NUL = '\u0000';
/** The largest id PostgreSQL's integer columns hold. */
const MAX_ID = 2_147_483_647;
const PAST_MAX_IDS = [String(MAX_ID + 1), '9999999999', String(Number.MAX_SAFE_INTEGER)];

const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { apiToken { id } } }`;
const CREATE_WEBHOOK = `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id url } } }`;

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let user: TestUser;
let projectId: string;
let ticketId: string;

beforeAll(async () => {
  api = await TestApi.start({}, { background: false });
  ({ admin, agent } = await api.registerAdminAndAgent());
  user = await api.register('user');
  projectId = await api.createProject(admin);
  ticketId = await api.createTicket(user, projectId);
});
afterAll(() => api.stop());

const bearer = (who: TestUser) => ({ authorization: `Bearer ${who.token}` });

/** The one error of a refused request: its code and the field and rule it names, with nothing internal. */
function refusal(response: GraphQLResponse | RawResponse) {
  const body = 'text' in response ? response.json : response;
  const error = 'text' in response ? body.error : body.errors?.[0];
  const text = JSON.stringify(body);
  expect(leakedInternals(text)).toEqual([]);
  return {
    code: error?.extensions?.code ?? error?.code,
    field: (error?.extensions?.invalidFields ?? error?.invalidFields)?.[0]?.field,
    rule: (error?.extensions?.invalidFields ?? error?.invalidFields)?.[0]?.rule,
  };
}

describe('ids past what PostgreSQL integer columns hold', () => {
  const byId: [string, string, (id: string) => Record<string, unknown>, string][] = [
    ['ticket', `query ($id: ID!) { ticket(id: $id) { id } }`, (id) => ({ id }), 'id'],
    ['project', `query ($id: ID!) { project(id: $id) { id } }`, (id) => ({ id }), 'id'],
    ['updateTicket', UPDATE_TICKET, (id) => ({ id, input: { comment: 'x' } }), 'id'],
    [
      'updateTicket to a project',
      UPDATE_TICKET,
      (id) => ({ id: ticketId, input: { projectId: id } }),
      'projectId',
    ],
    [
      'updateTicket assignee',
      UPDATE_TICKET,
      (id) => ({ id: ticketId, input: { assigneeId: id } }),
      'assigneeId',
    ],
    [
      'createTicket',
      CREATE_TICKET,
      (id) => ({ input: { projectId: id, title: 'A title', description: 'x' } }),
      'projectId',
    ],
    ['updateProject', UPDATE_PROJECT, (id) => ({ id, input: { description: 'x' } }), 'id'],
    [
      'setUserRole',
      `mutation ($id: ID!) { setUserRole(userId: $id, role: AGENT) { id } }`,
      (id) => ({ id }),
      'userId',
    ],
    ['revokeApiToken', `mutation ($id: ID!) { revokeApiToken(id: $id) }`, (id) => ({ id }), 'id'],
    [
      'retryOutboxMessage',
      `mutation ($id: ID!) { retryOutboxMessage(id: $id) { id } }`,
      (id) => ({ id }),
      'id',
    ],
    [
      'updateWebhook',
      `mutation ($id: ID!) { updateWebhook(id: $id, input: { active: false }) { id } }`,
      (id) => ({ id }),
      'id',
    ],
    ['deleteWebhook', `mutation ($id: ID!) { deleteWebhook(id: $id) }`, (id) => ({ id }), 'id'],
    ['redeliverWebhook', `mutation ($id: ID!) { redeliverWebhook(id: $id) { id } }`, (id) => ({ id }), 'id'],
    [
      'createWebhook',
      CREATE_WEBHOOK,
      (id) => ({ input: { url: 'https://hooks.example.com/a', projectId: id } }),
      'projectId',
    ],
    ['tickets filter', TICKETS, (id) => ({ filter: { authorId: id } }), 'authorId'],
    [
      'history filter',
      `query ($f: HistoryFilter) { history(filter: $f) { totalCount } }`,
      (id) => ({ f: { ticketId: id } }),
      'ticketId',
    ],
    ['stats', `query ($id: ID) { stats(projectId: $id) { total } }`, (id) => ({ id }), 'projectId'],
  ];

  test.each(byId)(
    '%s: BAD_USER_INPUT naming the field, as on SQLite',
    async (_name, query, variables, field) => {
      for (const id of PAST_MAX_IDS) {
        const answer = refusal(await api.gql(query, variables(id), { token: admin.token }));
        expect([id, answer]).toEqual([id, { code: 'BAD_USER_INPUT', field, rule: 'range' }]);
      }
    },
  );

  test('the largest id that can exist is still looked up: NOT_FOUND', async () => {
    const result = await api.gql(TICKET, { id: String(MAX_ID) }, { token: admin.token });
    expect(refusal(result).code).toBe('NOT_FOUND');
  });

  test('the report, the export and a CSV import of such a project answer 400', async () => {
    for (const id of PAST_MAX_IDS) {
      const report = await api.http(`/api/projects/${id}/report`, { headers: bearer(agent) });
      const exported = await api.http(`/api/export?project=${id}`, { headers: bearer(admin) });
      const imported = await api.http(`/api/import?format=csv&project=${id}`, {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'text/csv' },
        body: 'title\nA ticket\n',
      });
      for (const response of [report, exported, imported]) {
        expect([id, response.status, refusal(response).code]).toEqual([id, 400, 'BAD_USER_INPUT']);
      }
    }
  });
});

describe('cursors tampered with', () => {
  const encode = (cursor: object) => Buffer.from(JSON.stringify(cursor)).toString('base64url');
  const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));

  test('a value or id no page ever returned is refused as `after`, in every order', async () => {
    const tampered = [{ value: 1.5 }, { value: 1e300 }, { value: -1e300 }, { id: MAX_ID + 1 }, { id: 1.5 }];
    for (const field of ['ID', 'CREATED_AT', 'UPDATED_AT', 'PRIORITY', 'STATUS']) {
      for (const direction of ['ASC', 'DESC']) {
        const orderBy = { field, direction };
        const page = await api.ok<any>(TICKETS, { first: 1, orderBy }, admin.token);
        const real = decode(page.tickets.pageInfo.endCursor);
        for (const patch of [
          ...tampered,
          ...(['PRIORITY', 'STATUS'].includes(field) ? [{ value: 99_999 }] : []),
        ]) {
          const after = encode({ ...real, ...patch });
          const answer = refusal(await api.gql(TICKETS, { after, orderBy }, { token: admin.token }));
          expect([field, direction, patch, answer]).toEqual([
            field,
            direction,
            patch,
            { code: 'BAD_USER_INPUT', field: 'after', rule: 'invalid' },
          ]);
        }
      }
    }
  });

  test('the history feed and the outbox refuse an id past the largest', async () => {
    const history = await api.ok<any>(`{ history(first: 1) { pageInfo { endCursor } } }`, {}, admin.token);
    const after = encode({ ...decode(history.history.pageInfo.endCursor), id: MAX_ID + 1 });
    for (const query of [
      `query ($after: String) { history(after: $after) { totalCount } }`,
      `query ($after: String) { outbox(after: $after) { totalCount } }`,
    ]) {
      const cursor = query.includes('outbox')
        ? encode({ key: 'OUTBOX', value: null, id: MAX_ID + 1 })
        : after;
      const answer = refusal(await api.gql(query, { after: cursor }, { token: admin.token }));
      expect(answer).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    }
  });
});

describe('U+0000 (NUL) in text, which PostgreSQL cannot store', () => {
  const cases: [string, string, () => Record<string, unknown>, () => TestUser | null, string][] = [
    [
      'a ticket title',
      CREATE_TICKET,
      () => ({ input: { projectId, title: `Bad${NUL}title`, description: 'x' } }),
      () => user,
      'title',
    ],
    [
      'a ticket description',
      CREATE_TICKET,
      () => ({ input: { projectId, title: 'A title', description: `x${NUL}` } }),
      () => user,
      'description',
    ],
    [
      'a comment',
      UPDATE_TICKET,
      () => ({ id: ticketId, input: { comment: `${NUL}` } }),
      () => user,
      'comment',
    ],
    [
      'an internal note',
      UPDATE_TICKET,
      () => ({ id: ticketId, input: { comment: `psst${NUL}`, internal: true } }),
      () => agent,
      'comment',
    ],
    [
      'a new title',
      UPDATE_TICKET,
      () => ({ id: ticketId, input: { title: `New${NUL}title` } }),
      () => user,
      'title',
    ],
    ['a project name', CREATE_PROJECT, () => ({ input: { name: `Pro${NUL}ject` } }), () => admin, 'name'],
    [
      'a project description',
      UPDATE_PROJECT,
      () => ({ id: projectId, input: { description: `x${NUL}` } }),
      () => admin,
      'description',
    ],
    [
      'an API token name',
      CREATE_TOKEN,
      () => ({ input: { name: `ci${NUL}`, scope: 'READ' } }),
      () => user,
      'name',
    ],
    [
      'a login',
      LOGIN,
      () => ({ input: { login: `${admin.username}${NUL}`, password: 'whatever it is' } }),
      () => null,
      'login',
    ],
    [
      'an email to log in with',
      LOGIN,
      () => ({ input: { login: `a${NUL}@example.com`, password: 'whatever it is' } }),
      () => null,
      'login',
    ],
    [
      'a password',
      REGISTER,
      () => ({
        input: { username: 'nulpass', email: 'nulpass@example.com', password: `correct horse${NUL}battery` },
      }),
      () => null,
      'password',
    ],
    ['a search', TICKETS, () => ({ filter: { search: `login${NUL}` } }), () => user, 'search'],
  ];

  test.each(cases)(
    'in %s: BAD_USER_INPUT naming the field, nothing written',
    async (_name, query, variables, who, field) => {
      const before = await api.snapshot();
      const result = await api.gql(query, variables(), { token: who()?.token });
      expect(refusal(result)).toEqual({ code: 'BAD_USER_INPUT', field, rule: 'format' });
      expect(result.errors?.[0].message).toContain('U+0000');
      expect(await api.snapshot()).toEqual(before);
    },
  );

  test('written in the query itself rather than a variable, it is refused the same way', async () => {
    const before = await api.snapshot();
    const result = await api.gql(
      `mutation { createProject(input: { name: "Pro\\u0000ject", description: "x" }) { id } }`,
      {},
      { token: admin.token },
    );
    expect(refusal(result)).toEqual({ code: 'BAD_USER_INPUT', field: 'name', rule: 'format' });
    expect(await api.snapshot()).toEqual(before);
  });

  test('the same text without it is accepted: control', async () => {
    const result = await api.gql(TICKETS, { filter: { search: 'login' } }, { token: user.token });
    expect(result.errors).toBeUndefined();
    expect(result.data?.tickets.totalCount).toBe(1);
  });
});

describe('imports of text PostgreSQL cannot store', () => {
  const ZERO_WIDTH = '\u200B';

  /** A valid export document (format v1) of one user, one project and one ticket, with overrides. */
  function exportDocument(
    overrides: { project?: object; ticket?: object; jobs?: object[] } = {},
  ): Record<string, unknown> {
    return {
      format: 'simple-ticketing-export',
      version: 1,
      exportedAt: '2026-01-01T00:00:00.000Z',
      scope: { projectId: null },
      users: [
        {
          id: 'u1',
          username: 'importer',
          email: 'importer@elsewhere.test',
          role: 'USER',
          locale: 'EN',
          createdAt: '2025-01-01T00:00:00.000Z',
        },
      ],
      projects: [
        {
          id: 'p1',
          name: 'Imported project',
          description: '',
          archived: false,
          createdAt: '2025-01-01T00:00:00.000Z',
          ...overrides.project,
        },
      ],
      tickets: [
        {
          id: 't1',
          projectId: 'p1',
          title: 'An imported ticket',
          description: '',
          status: 'OPEN',
          priority: 'NORMAL',
          category: 'OTHER',
          authorId: 'u1',
          assigneeId: null,
          createdAt: '2025-02-01T00:00:00.000Z',
          updatedAt: '2025-02-01T00:00:00.000Z',
          closedAt: null,
          jobs: overrides.jobs ?? [],
          ...overrides.ticket,
        },
      ],
    };
  }

  const postJson = (document: object) =>
    api.http('/api/import', {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify(document),
    });
  const postCsv = (csv: string) =>
    api.http(`/api/import?format=csv&project=${projectId}`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'text/csv' },
      body: csv,
    });
  const comment = (text: string) => ({
    id: 'j1',
    createdAt: '2025-02-01T00:00:00.000Z',
    authorId: 'u1',
    comment: text,
    internal: false,
    status: 'OPEN',
    changes: [],
  });

  test.each([
    ['a title holding U+0000', { ticket: { title: `Bad${NUL}title` } }, 'tickets[0].title', 'format'],
    [
      'a description holding U+0000',
      { ticket: { description: `x${NUL}` } },
      'tickets[0].description',
      'format',
    ],
    ['a project name holding U+0000', { project: { name: `Pro${NUL}ject` } }, 'projects[0].name', 'format'],
    [
      'a project description holding U+0000',
      { project: { description: `x${NUL}` } },
      'projects[0].description',
      'format',
    ],
    ['a comment holding U+0000', { jobs: [comment(`x${NUL}`)] }, 'tickets[0].jobs[0].comment', 'format'],
    [
      'a title of 3 visible characters and 300 invisible ones (varchar(200))',
      { ticket: { title: `abc${ZERO_WIDTH.repeat(300)}` } },
      'tickets[0].title',
      'length',
    ],
    [
      'a project name of 2 visible characters and 100 invisible ones (varchar(80))',
      { project: { name: `ab${ZERO_WIDTH.repeat(100)}` } },
      'projects[0].name',
      'length',
    ],
  ])('JSON: %s is refused by its path, nothing written', async (_name, overrides, field, rule) => {
    const before = await api.snapshot();
    const response = await postJson(exportDocument(overrides));
    expect(response.status).toBe(400);
    expect(refusal(response)).toEqual({ code: 'BAD_USER_INPUT', field, rule });
    expect(await api.snapshot()).toEqual(before);
  });

  test.each([
    ['a title holding U+0000', `title,description\n"Bad${NUL}title",x\n`, 'U+0000'],
    ['a description holding U+0000', `title,description\nA fine title,"x${NUL}y"\n`, 'U+0000'],
    [
      'a title of 3 visible characters and 300 invisible ones',
      `title\nabc${ZERO_WIDTH.repeat(300)}\n`,
      'invisible',
    ],
  ])('CSV: %s refuses its row, nothing written', async (_name, csv, reason) => {
    const before = await api.snapshot();
    const response = await postCsv(csv);
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ tickets: 0, refusedRows: [{ line: 2 }] });
    expect(response.json.refusedRows[0].reason).toContain(reason);
    expect(await api.snapshot()).toEqual(before);
  });

  test('control: the same document without them is imported', async () => {
    const response = await postJson(exportDocument());
    expect([response.status, response.json.tickets]).toEqual([200, expect.objectContaining({ created: 1 })]);
  });
});

describe('a webhook URL longer once encoded (varchar(2048))', () => {
  const UPDATE_WEBHOOK = `mutation ($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id url } }`;
  /** 1,026 characters as typed; each "é" is stored as %C3%A9, 6,026 in all. */
  const longOnceEncoded = `https://hooks.example.com/${'é'.repeat(1000)}`;

  test('is refused as too long at creation and at an update, nothing written', async () => {
    const created = await api.ok<any>(
      CREATE_WEBHOOK,
      { input: { url: 'https://hooks.example.com/a' } },
      admin.token,
    );
    const id = created.createWebhook.webhook.id;
    const count = async () => Number((await api.sql(`SELECT COUNT(*) AS n FROM "webhook"`))[0].n);
    const before = await count();
    const creating = await api.gql(
      CREATE_WEBHOOK,
      { input: { url: longOnceEncoded } },
      { token: admin.token },
    );
    expect(refusal(creating)).toEqual({ code: 'BAD_USER_INPUT', field: 'url', rule: 'length' });
    const updating = await api.gql(
      UPDATE_WEBHOOK,
      { id, input: { url: longOnceEncoded } },
      { token: admin.token },
    );
    expect(refusal(updating)).toEqual({ code: 'BAD_USER_INPUT', field: 'url', rule: 'length' });
    expect(await count()).toBe(before);
    const [stored] = await api.sql(`SELECT "url" FROM "webhook" WHERE "id" = ?`, [Number(id)]);
    expect(stored.url).toBe('https://hooks.example.com/a');
  });

  test('control: an address of 2048 characters once encoded is taken as it is', async () => {
    const url = `https://hooks.example.com/${'é'.repeat(10)}${'x'.repeat(2048 - 26 - 60)}`;
    expect(new URL(url).href).toHaveLength(2048);
    const created = await api.ok<any>(CREATE_WEBHOOK, { input: { url } }, admin.token);
    expect(created.createWebhook.webhook.url).toBe(new URL(url).href);
  });
});

describe('keys longer than the text they are made from', () => {
  // "İ" (U+0130) is one character; in lower case, the key, it is two: "i" and a combining dot.
  const DOTTED = 'İ';
  const longKeyEmail = `${DOTTED.repeat(32)}@${`${DOTTED.repeat(40)}.`.repeat(3)}com`;

  test('a project name of 80 such characters is created, renamed and found taken', async () => {
    const name = DOTTED.repeat(80);
    const created = await api.gql(CREATE_PROJECT, { input: { name } }, { token: admin.token });
    expect(created.errors).toBeUndefined();
    const id = created.data?.createProject.id;
    const renamed = await api.gql(
      UPDATE_PROJECT,
      { id, input: { name: `${DOTTED.repeat(79)}x` } },
      { token: admin.token },
    );
    expect(renamed.errors).toBeUndefined();
    const taken = await api.gql(
      UPDATE_PROJECT,
      { id: projectId, input: { name: `${DOTTED.repeat(79)}X` } },
      { token: admin.token },
    );
    expect(refusal(taken)).toEqual({ code: 'BAD_USER_INPUT', field: 'name', rule: 'unique' });
  });

  test('an email whose lower case is past 254 characters registers, logs in and is found taken', async () => {
    expect(longKeyEmail.toLowerCase().length).toBeGreaterThan(254);
    const password = 'correct horse battery staple';
    const registered = await api.gql(REGISTER, {
      input: { username: 'dotted', email: longKeyEmail, password },
    });
    expect(registered.errors).toBeUndefined();
    const login = await api.gql(LOGIN, { input: { login: longKeyEmail, password } });
    expect(login.errors).toBeUndefined();
    const again = await api.gql(REGISTER, { input: { username: 'dotted2', email: longKeyEmail, password } });
    expect(refusal(again)).toEqual({ code: 'BAD_USER_INPUT', field: 'email', rule: 'unique' });
  });

  test('such an address can ask for a password reset: the link is sent', async () => {
    const email = `r${longKeyEmail.slice(1)}`;
    await api.ok(REGISTER, {
      input: { username: 'dotted3', email, password: 'correct horse battery staple' },
    });
    const resets = async () =>
      Number(
        (await api.sql(`SELECT COUNT(*) AS n FROM "user_token" WHERE "purpose" = 'reset-password'`))[0].n,
      );
    const before = await resets();
    await api.ok(`mutation ($email: String!) { requestPasswordReset(email: $email) }`, { email });
    await api.server.services.accounts.settled();
    expect(await resets()).toBe(before + 1);
  });

  test('a CSV of tickets by such an author, and a JSON export of such a project, are imported', async () => {
    const csvEmail = `x${DOTTED.repeat(31)}@${`${DOTTED.repeat(40)}.`.repeat(3)}com`;
    const csv = await api.http(`/api/import?format=csv&project=${projectId}`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'text/csv' },
      body: `title,author email\nA ticket by them,${csvEmail}\n`,
    });
    expect([csv.status, csv.json.tickets, csv.json.users?.created]).toEqual([200, 1, 1]);
    // The account keeps the address as written (at most 254 characters), not its longer lower case.
    const [account] = await api.sql(`SELECT "email" FROM "user" WHERE "emailKey" = ?`, [
      csvEmail.toLowerCase(),
    ]);
    expect(account.email).toBe(csvEmail);
    const document = {
      format: 'simple-ticketing-export',
      version: 1,
      exportedAt: '2026-01-01T00:00:00.000Z',
      scope: { projectId: null },
      users: [],
      projects: [
        {
          id: 'p1',
          name: `${DOTTED.repeat(79)}y`,
          description: '',
          archived: false,
          createdAt: '2025-01-01T00:00:00.000Z',
        },
      ],
      tickets: [],
    };
    const json = await api.http('/api/import', {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify(document),
    });
    expect([json.status, json.json.projects]).toEqual([200, { created: 1 }]);
  });
});

/**
 * A database whose text order follows a language (ICU en-US), as a PostgreSQL created with a locale
 * (the postgres image's en_US.utf8) has; the tests' own cluster is initialised with --locale=C.
 */
async function databaseOrderedByLanguage(): Promise<{ databaseUrl: string; jwtSecret: string }> {
  const server = process.env[POSTGRES_SERVER_ENV];
  const prefix = process.env[FILE_DATABASES_ENV];
  if (!server || !prefix) throw new Error('run through the integration (postgres) jest project');
  const name = `${prefix}_en_us`;
  const client = new Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(
      `CREATE DATABASE ${escapeIdentifier(name)} TEMPLATE template0 LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
    );
  } finally {
    await client.end();
  }
  const url = new URL(server);
  url.pathname = `/${name}`;
  return { databaseUrl: url.toString(), jwtSecret: randomBytes(24).toString('hex') };
}

describe('text order, whatever the locale of the PostgreSQL database', () => {
  let ordered: TestApi;
  let owner: TestUser;

  beforeAll(async () => {
    ordered = await TestApi.start(onPostgres ? await databaseOrderedByLanguage() : {}, { background: false });
    owner = await ordered.register('admin');
  });
  afterAll(() => ordered.stop());

  test('projects are listed by name, character by character, as on SQLite', async () => {
    const names = [
      'beta',
      'Alpha',
      'alpha2',
      '_under',
      'Zeta',
      'a-b',
      'ab',
      'a b',
      'Émile',
      'eve',
      'äb',
      'B2',
      'b1',
    ];
    for (const name of names) await ordered.createProject(owner, name);
    const listed = await ordered.ok<any>(`{ projects { name } }`, {}, owner.token);
    expect(listed.projects.map((project: { name: string }) => project.name)).toEqual([...names].sort());
  });

  test('assignees are listed by username without regard to case, character by character', async () => {
    for (const username of ['Zed', 'bob_x', 'bob.x', 'bob-x', 'bobx', 'Bob1', 'alice']) {
      const registered = await ordered.ok<any>(REGISTER, {
        input: { username, email: `${username}@example.com`, password: 'correct horse battery staple' },
      });
      const id = registered.register.user.id;
      await ordered.ok(
        `mutation ($id: ID!) { setUserRole(userId: $id, role: AGENT) { id } }`,
        { id },
        owner.token,
      );
    }
    const listed = await ordered.ok<any>(`{ assignees { username } }`, {}, owner.token);
    const usernames = listed.assignees.map((user: { username: string }) => user.username);
    expect(usernames).toEqual([...usernames].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)));
    expect(usernames).toEqual(['admin1', 'alice', 'bob-x', 'bob.x', 'Bob1', 'bob_x', 'bobx', 'Zed']);
  });
});

describe('races between requests (held: SERIALIZABLE on PostgreSQL, one writer on SQLite)', () => {
  const SET_ROLE = `mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id role } }`;

  test('two admins demoting each other at once leave exactly one admin', async () => {
    const racing = await TestApi.start({}, { background: false });
    try {
      const first = await racing.register('admin');
      const second = await racing.register('admin');
      await racing.setRole(first, second, 'ADMIN');
      const answers = await Promise.all([
        racing.gql(SET_ROLE, { id: second.id, role: 'USER' }, { token: first.token }),
        racing.gql(SET_ROLE, { id: first.id, role: 'USER' }, { token: second.token }),
      ]);
      expect(answers.filter((answer) => !answer.errors)).toHaveLength(1);
      for (const answer of answers)
        if (answer.errors) expect(leakedInternals(JSON.stringify(answer))).toEqual([]);
      const [admins] = await racing.sql(`SELECT COUNT(*) AS n FROM "user" WHERE "role" = 'ADMIN'`);
      expect(Number(admins.n)).toBe(1);
    } finally {
      await racing.stop();
    }
  });

  test('one username registered six times at once, in two cases: one account, five refusals naming it', async () => {
    const answers = await Promise.all(
      [0, 1, 2, 3, 4, 5].map((index) =>
        api.gql(REGISTER, {
          input: {
            username: index % 2 ? 'Racer' : 'racer',
            email: `racer${index}@example.com`,
            password: 'correct horse battery staple',
          },
        }),
      ),
    );
    expect(answers.filter((answer) => !answer.errors)).toHaveLength(1);
    for (const answer of answers.filter((one) => one.errors)) {
      expect(refusal(answer)).toEqual({ code: 'BAD_USER_INPUT', field: 'username', rule: 'unique' });
    }
  });

  test('four projects renamed onto one name at once: one takes it, three are told it is taken', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 4; index += 1) ids.push(await api.createProject(admin, `Racing ${index}`));
    const answers = await Promise.all(
      ids.map((id) =>
        api.gql(UPDATE_PROJECT, { id, input: { name: 'Finish line' } }, { token: admin.token }),
      ),
    );
    expect(answers.filter((answer) => !answer.errors)).toHaveLength(1);
    for (const answer of answers.filter((one) => one.errors)) {
      expect(refusal(answer)).toEqual({ code: 'BAD_USER_INPUT', field: 'name', rule: 'unique' });
    }
  });
});
