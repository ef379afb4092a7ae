import { ManualClock } from '../../src/clock';
import { leakedInternals } from '../support/assertions';
import { dataOf } from '../support/graphql-client';
import { type GraphQLResponse, TestApi, type TestUser, errorCodes } from '../support/test-server';
import { WebhookReceiver } from '../support/webhook-receiver';

/**
 * Attacks on the integrations (API tokens, the history feed, webhooks), each a defect found once and
 * fixed, or a door tried that held: kept so that none of them opens again.
 */

const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret apiToken { id } } }`;
const CREATE_WEBHOOK = `mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { secret webhook { id } } }`;
const UPDATE_WEBHOOK = `mutation ($id: ID!, $input: UpdateWebhookInput!) { updateWebhook(id: $id, input: $input) { id } }`;
const DELETE_WEBHOOK = `mutation ($id: ID!) { deleteWebhook(id: $id) }`;
const WEBHOOKS = `{ webhooks { id recentDeliveries { state lastError job { id } } } }`;
const COMMENT = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;

let clock: ManualClock;
let api: TestApi;
let receiver: WebhookReceiver;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let projectId: string;

async function tokenOf(owner: TestUser, scope: 'READ' | 'WRITE'): Promise<string> {
  const data = await api.ok<{ createApiToken: { secret: string } }>(
    CREATE_TOKEN,
    { input: { name: `${scope} ${Math.random()}`, scope } },
    owner.token,
  );
  return data.createApiToken.secret;
}

async function deliver(): Promise<void> {
  await api.server.eventConsumers.runOnce();
  for (let run = 0; run < 10 && (await api.server.webhookDelivery.runOnce()) > 0; run += 1);
}

beforeAll(async () => {
  receiver = await WebhookReceiver.start();
  clock = new ManualClock(Date.parse('2026-05-04T09:00:00Z'));
  // Deliveries leave only when a test says so: what a test changes before deliver() is not raced.
  api = await TestApi.start(
    { webhookAllowHosts: ['127.0.0.1'], apiTokenBudget: 100_000 },
    { clock, background: false },
  );
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  projectId = await api.createProject(admin);
});

afterAll(async () => {
  await api.stop();
  await receiver.stop();
});

describe('webhooks', () => {
  afterEach(async () => {
    const { webhooks } = await api.ok<{ webhooks: { id: string }[] }>(WEBHOOKS, {}, admin.token);
    for (const webhook of webhooks) await api.ok(DELETE_WEBHOOK, { id: webhook.id }, admin.token);
    await deliver();
  });

  test('an internal note queued while includeInternal was on is not sent once it is turned off', async () => {
    const created = await api.ok<{ createWebhook: { webhook: { id: string } } }>(
      CREATE_WEBHOOK,
      { input: { url: receiver.url('/notes-withdrawn'), includeInternal: true } },
      admin.token,
    );
    const id = created.createWebhook.webhook.id;
    const ticketId = await api.createTicket(bob, projectId);
    await api.ok(
      COMMENT,
      { id: ticketId, input: { comment: 'Staff: salary data', internal: true } },
      agent.token,
    );
    // The deliveries are queued (includeInternal was on), then the admin withdraws the notes before they leave.
    await api.server.eventConsumers.runOnce();
    await api.ok(UPDATE_WEBHOOK, { id, input: { includeInternal: false } }, admin.token);
    await deliver();
    const sent = receiver.callsTo('/notes-withdrawn').map((call) => JSON.parse(call.body).job);
    expect(sent.map((job) => job.internal)).toEqual([false]);
    expect(JSON.stringify(sent)).not.toContain('salary');
    const { webhooks } = await api.ok<{
      webhooks: { id: string; recentDeliveries: { state: string; lastError: string | null }[] }[];
    }>(WEBHOOKS, {}, admin.token);
    const [withdrawn] = webhooks.find((webhook) => webhook.id === id)!.recentDeliveries;
    expect(withdrawn).toEqual({
      state: 'FAILED',
      lastError: expect.stringMatching(/internal notes/),
      job: expect.anything(),
    });
  });

  test('held: private and disguised addresses are refused at registration', async () => {
    for (const url of [
      // 10.0.0.1 and the metadata address, written every way a URL parser accepts.
      'https://167772161/',
      'https://0xa.1/',
      'https://012.0.0.1/',
      'https://10.1/',
      'https://10.0.0.1./',
      'https://[::ffff:a00:1]/',
      'https://[::ffff:a9fe:a9fe]/',
      'https://[::]/',
      'https://[::10.0.0.1]/',
      'https://[64:ff9b::a9fe:a9fe]/',
      'https://[fe80::1]/',
      'https://0/',
      'https://169.254.169.254/latest/meta-data/',
      'https://user:pass@hooks.example.com/',
      'https://hooks.example.com@127.0.0.1/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'http://localhost/',
    ]) {
      const result = await api.gql(CREATE_WEBHOOK, { input: { url } }, { token: admin.token });
      expect([url, errorCodes(result)]).toEqual([url, ['BAD_USER_INPUT']]);
    }
  });

  test('held: a name resolving to loopback (localhost.) is refused when delivering', async () => {
    await api.ok(CREATE_WEBHOOK, { input: { url: `https://localhost.:${receiver.port}/dot` } }, admin.token);
    await api.createTicket(bob, projectId);
    await deliver();
    expect(receiver.callsTo('/dot')).toEqual([]);
  });
});

describe('API tokens', () => {
  test('logging in and creating a token in one mutation acts as the new session, never as a server error', async () => {
    const result = await api.gql<{
      login: { token: string };
      createApiToken: { secret: string; apiToken: { id: string } };
    }>(
      `mutation ($login: LoginInput!) {
        login(input: $login) { token }
        createApiToken(input: { name: "made right after login", scope: WRITE }) { secret apiToken { id } }
      }`,
      { login: { login: alice.username, password: alice.password } },
    );
    expect(errorCodes(result)).toEqual([]);
    expect(leakedInternals(JSON.stringify(result))).toEqual([]);
    // The token is the one who just proved their password: alice, not the caller's earlier identity.
    const mine = await api.ok<{ apiTokens: { id: string }[] }>('{ apiTokens { id } }', {}, alice.token);
    expect(mine.apiTokens.map((token) => token.id)).toContain(result.data!.createApiToken.apiToken.id);
    await api.ok(
      'mutation ($id: ID!) { revokeApiToken(id: $id) }',
      { id: result.data!.createApiToken.apiToken.id },
      alice.token,
    );
  });

  test('a WRITE token that logs in as someone else acts as that session for the rest of the mutation', async () => {
    const secret = await tokenOf(bob, 'WRITE');
    const result = await api.gql<{ login: { user: { id: string } }; updateMe: { id: string } }>(
      `mutation ($login: LoginInput!) {
        login(input: $login) { user { id } }
        updateMe(input: { locale: EN }) { id }
      }`,
      { login: { login: alice.username, password: alice.password } },
      { token: secret },
    );
    expect(errorCodes(result)).toEqual([]);
    expect(result.data!.updateMe.id).toBe(alice.id);
  });

  test('held: a READ token runs no mutation by GET, by operationName, or with a session cookie beside it', async () => {
    const secret = await tokenOf(alice, 'READ');
    const before = await api.snapshot();
    const get = await api.http(
      `/graphql?query=${encodeURIComponent('mutation { updateMe(input: { locale: FR }) { id } }')}`,
      { headers: { authorization: `Bearer ${secret}`, 'apollo-require-preflight': '1' } },
    );
    expect(get.status).toBe(405);
    const named = await api.gql(
      `query A { me { id } } mutation B { updateMe(input: { locale: FR }) { id } }`,
      {},
      { token: secret, headers: {} },
    );
    expect(named.data ?? null).toBeNull();
    const response = await api.http('/graphql', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${secret}`,
        cookie: `st_session=${alice.token}`,
      },
      body: JSON.stringify({
        query: 'query A { me { id } } mutation B { createTicket(input: $i) { id } }',
        operationName: 'B',
      }),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    const fragment = await api.gql(
      `mutation { ...F } fragment F on Mutation { updateMe(input: { locale: FR }) { id } }`,
      {},
      { token: secret },
    );
    expect(errorCodes(fragment)).toEqual(['FORBIDDEN']);
    expect(await api.snapshot()).toEqual(before);
  });

  test('held: a USER token reaches no other user’s ticket through history filters, cursors or loaders', async () => {
    const bobs = await api.createTicket(bob, projectId, { title: 'Bob secret roadmap' });
    await api.ok(COMMENT, { id: bobs, input: { comment: 'bob private words' } }, bob.token);
    const alices = await api.createTicket(alice, projectId, { title: 'Alice visible' });
    await api.ok(COMMENT, { id: alices, input: { comment: 'staff whisper', internal: true } }, agent.token);
    const secret = await tokenOf(alice, 'READ');
    const forged = (id: number) =>
      Buffer.from(JSON.stringify({ key: 'JOB', value: null, id })).toString('base64url');
    const answers = [
      await api.gql(
        `query ($t: ID) { history(filter: { ticketId: $t }) { totalCount nodes { id } } }`,
        { t: bobs },
        { token: secret },
      ),
      await api.gql(
        `query ($p: ID) { history(filter: { projectId: $p }) { totalCount nodes { id comment internal ticket { id title jobs { comment } } author { email } } } }`,
        { p: projectId },
        { token: secret },
      ),
      await api.gql(
        `query ($a: String) { history(first: 500, after: $a) { totalCount nodes { id comment } } }`,
        { a: forged(0) },
        { token: secret },
      ),
      await api.gql(
        `query ($a: String) { history(after: $a, filter: { since: "1970-01-01T00:00:00Z" }) { totalCount nodes { id comment } } }`,
        { a: forged(-1) },
        { token: secret },
      ),
      await api.gql(`{ webhooks { id url } }`, {}, { token: secret }),
      await api.gql(`{ users { id email } }`, {}, { token: secret }),
      await api.gql(`{ outbox { nodes { recipient subject } } }`, {}, { token: secret }),
      await api.gql(
        `{ stats { total byAuthor { key count } byAssignee { key count } } }`,
        {},
        { token: secret },
      ),
    ];
    for (const answer of answers) {
      const text = JSON.stringify(answer);
      expect(text).not.toMatch(/Bob secret|bob private|staff whisper/);
      expect(leakedInternals(text)).toEqual([]);
    }
    expect(errorCodes(answers[0])).toEqual(['NOT_FOUND']);
    expect(errorCodes(answers[4])).toEqual(['FORBIDDEN']);
  });
});

describe('the cost of one request', () => {
  test('nesting Ticket.jobs under Job.ticket cannot make one request list millions of jobs', async () => {
    const ticketId = await api.createTicket(alice, projectId);
    for (let i = 0; i < 29; i += 1) {
      await api.ok(COMMENT, { id: ticketId, input: { comment: `note ${i}` } }, alice.token);
    }
    const secret = await tokenOf(alice, 'READ');
    // 30 feed jobs × 30 × 30 × 30: 810,000 jobs, blocking every other request meanwhile, had no limit.
    const amplified = `query ($first: Int) { history(first: $first, filter: { ticketId: "${ticketId}" }) { nodes {
      ticket { jobs { ticket { jobs { ticket { jobs { id } } } } } } } } }`;
    let result!: GraphQLResponse;
    // Refused before it runs: the token is looked up, and no job is read (a time bound would be a flaky proxy).
    const statements = await api.sqlDuring(async () => {
      result = await api.gql(amplified, { first: 500 }, { token: secret });
    });
    // The token's look-up and bookkeeping (8 on PostgreSQL, 9 on SQLite); running it would read thousands.
    expect(statements).toBeLessThanOrEqual(9);
    expect(errorCodes(result)).toContain('BAD_USER_INPUT');
    expect(result.data ?? null).toBeNull();
    expect(result.errors).toHaveLength(1);
    expect(result.status).toBeLessThan(500);
    // The budget prices each list of jobs once per item of the page above it: 1 + 3 × 500 requests → 16.
    expect(result.extensions?.cost).toMatchObject({ requested: 16 });
    // What the pages and the client ask stays accepted.
    dataOf(
      await api.gql(`{ tickets(first: 100) { nodes { id jobs { id comment } } } }`, {}, { token: secret }),
    );
    dataOf(
      await api.gql(
        `{ history(first: 500) { nodes { id ticket { id title jobs { id } } } } }`,
        {},
        { token: secret },
      ),
    );
  }, 30_000);
});
