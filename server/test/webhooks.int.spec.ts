import crypto from 'node:crypto';
import { ManualClock } from '../src/clock';
import { SendFailed } from '../src/outbox/channel-sender';
import { LinkSecrets } from '../src/outbox/link-secrets';
import { OutboxMessage, OutboxState } from '../src/outbox/outbox-message.entity';
import { MAX_ATTEMPTS, RETRY_DELAYS_MS } from '../src/outbox/retry-schedule';
import { WEBHOOK_TIMEOUT_MS, postWebhook } from '../src/webhooks/webhook-http';
import { Webhook } from '../src/webhooks/webhook.entity';
import { dataOf } from './support/graphql-client';
import { UPDATE_TICKET } from './support/operations';
import { TestApi, type TestUser, errorCodes } from './support/test-server';
import { WebhookReceiver, silence, status } from './support/webhook-receiver';

const DELIVERY_FIELDS = 'id event responseStatus attempts state createdAt lastError nextAttemptAt job { id }';
const WEBHOOK_FIELDS = `id url project { id name } events includeInternal active createdAt
  recentDeliveries { ${DELIVERY_FIELDS} }`;
const WEBHOOKS = `{ webhooks { ${WEBHOOK_FIELDS} } }`;
const CREATE_WEBHOOK = `mutation ($input: CreateWebhookInput!) {
  createWebhook(input: $input) { secret webhook { ${WEBHOOK_FIELDS} } }
}`;
const UPDATE_WEBHOOK = `mutation ($id: ID!, $input: UpdateWebhookInput!) {
  updateWebhook(id: $id, input: $input) { ${WEBHOOK_FIELDS} }
}`;
const DELETE_WEBHOOK = `mutation ($id: ID!) { deleteWebhook(id: $id) }`;
const REDELIVER = `mutation ($id: ID!) { redeliverWebhook(id: $id) { ${DELIVERY_FIELDS} } }`;
const RETRY_OUTBOX = `mutation ($id: ID!) { retryOutboxMessage(id: $id) { id state } }`;
const JOBS_AS_GRAPHQL = `query ($id: ID!) { ticket(id: $id) { jobs {
  id createdAt comment internal status changes { field from to } author { id username }
  ticket { id title status project { id name } }
} } }`;

interface Delivery {
  id: string;
  event: string;
  responseStatus: number | null;
  attempts: number;
  state: string;
  lastError: string | null;
  nextAttemptAt: string | null;
  job: { id: string };
}
interface WebhookView {
  id: string;
  url: string;
  events: string[];
  includeInternal: boolean;
  active: boolean;
  project: { id: string } | null;
  recentDeliveries: Delivery[];
}

/** webhooks { recentDeliveries { job } }, however many webhooks: the session, then one query per level. */
const SQL_FOR_WEBHOOKS_WITH_JOBS = 4;

const hmac = (body: string, secret: string) =>
  `sha256=${crypto.createHmac('sha256', secret).update(body).digest('hex')}`;

describe('webhooks, received by a real HTTP server on loopback', () => {
  let receiver: WebhookReceiver;
  let clock: ManualClock;
  let api: TestApi;
  let admin: TestUser;
  let agent: TestUser;
  let user: TestUser;
  let projectA: string;
  let projectB: string;

  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
    clock = new ManualClock(Date.parse('2026-05-04T09:00:00Z'));
    // Statement counts below include the session's check: never taken from the session cache, whose
    // clearing by PostgreSQL's notifications arrives at its own time.
    api = await TestApi.start({ webhookAllowHosts: ['127.0.0.1'], sessionCacheMs: 0 }, { clock });
    ({ admin, agent } = await api.registerAdminAndAgent());
    user = await api.register('reporter');
    projectA = await api.createProject(admin, 'Alpha');
    projectB = await api.createProject(admin, 'Beta');
  });

  afterAll(async () => {
    await api.stop();
    await receiver.stop();
  });

  // Sessions end on the server's clock, which retries move forward: sign in again before each test.
  async function signInAgain(...people: TestUser[]): Promise<void> {
    for (const person of people.length ? people : [admin, agent, user]) {
      person.token = dataOf(await api.login(person.username, person.password)).login.token;
    }
  }
  beforeEach(() => signInAgain());

  // Each test's webhooks go: their deliveries never reach another test's receiver paths.
  afterEach(async () => {
    const { webhooks } = await api.ok<{ webhooks: WebhookView[] }>(WEBHOOKS, {}, admin.token);
    for (const webhook of webhooks) await api.ok(DELETE_WEBHOOK, { id: webhook.id }, admin.token);
    await deliver();
  });

  async function createWebhook(input: Record<string, unknown>): Promise<{ id: string; secret: string }> {
    const { createWebhook: created } = await api.ok<{
      createWebhook: { secret: string; webhook: WebhookView };
    }>(CREATE_WEBHOOK, { input }, admin.token);
    return { id: created.webhook.id, secret: created.secret };
  }

  /** The consumers queue the deliveries of every new job; the webhook worker sends all that is due. */
  async function deliver(): Promise<void> {
    await api.server.eventConsumers.runOnce();
    for (let run = 0; run < 10 && (await api.server.webhookDelivery.runOnce()) > 0; run += 1);
  }

  async function webhook(id: string): Promise<WebhookView> {
    const { webhooks } = await api.ok<{ webhooks: WebhookView[] }>(WEBHOOKS, {}, admin.token);
    return webhooks.find((candidate) => candidate.id === id)!;
  }

  const comment = (person: TestUser, ticketId: string, text: string, internal = false) =>
    api.ok(
      UPDATE_TICKET,
      { id: ticketId, input: { comment: text, ...(internal ? { internal } : {}) } },
      person.token,
    );

  const bodies = (path: string) => receiver.callsTo(path).map((call) => JSON.parse(call.body));

  test('a new ticket is POSTed, signed with the secret, with the Job as the API gives it', async () => {
    const { id, secret } = await createWebhook({ url: receiver.url('/signed') });
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    const ticketId = await api.createTicket(user, projectA, { title: 'Printer on fire' });
    await deliver();

    const [call] = receiver.callsTo('/signed');
    expect(receiver.callsTo('/signed')).toHaveLength(1);
    expect(call.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'SimpleTicketing-Webhook/1',
      'x-event': 'TICKET_OPENED',
    });
    expect(call.headers['x-signature-256']).toBe(hmac(call.body, secret));
    const body = JSON.parse(call.body);
    expect(Object.keys(body)).toEqual(['event', 'deliveryId', 'job']);
    expect(body.deliveryId).toBe(call.headers['x-delivery-id']);
    expect(body.event).toBe('TICKET_OPENED');
    const { ticket } = await api.ok<{ ticket: { jobs: unknown[] } }>(
      JOBS_AS_GRAPHQL,
      { id: ticketId },
      admin.token,
    );
    expect(body.job).toEqual(ticket.jobs[0]);
    expect(body.job.ticket).toEqual({
      id: ticketId,
      title: 'Printer on fire',
      status: 'OPEN',
      project: { id: projectA, name: 'Alpha' },
    });

    const view = await webhook(id);
    expect(view.recentDeliveries).toEqual([
      expect.objectContaining({
        id: body.deliveryId,
        event: 'TICKET_OPENED',
        state: 'DELIVERED',
        responseStatus: 200,
        attempts: 1,
        lastError: null,
        job: { id: body.job.id },
      }),
    ]);
  });

  test('answered 500, then 200: retried on the schedule, same X-Delivery-Id, same bytes, same signature', async () => {
    const { id } = await createWebhook({ url: receiver.url('/flaky') });
    receiver.answerNext('/flaky', status(500, {}, 'receiver broke'));
    await api.createTicket(user, projectA);
    await deliver();
    expect(receiver.callsTo('/flaky')).toHaveLength(1);
    expect((await webhook(id)).recentDeliveries[0]).toMatchObject({
      state: 'PENDING',
      attempts: 1,
      responseStatus: 500,
      lastError: 'Answered 500: receiver broke',
      nextAttemptAt: new Date(clock.now().getTime() + RETRY_DELAYS_MS[0]).toISOString(),
    });

    // Not before its retry is due.
    clock.advance(RETRY_DELAYS_MS[0] - 1000);
    await deliver();
    expect(receiver.callsTo('/flaky')).toHaveLength(1);
    clock.advance(1000);
    await deliver();

    const [first, second] = receiver.callsTo('/flaky');
    expect(receiver.callsTo('/flaky')).toHaveLength(2);
    expect(second.headers['x-delivery-id']).toBe(first.headers['x-delivery-id']);
    expect(second.body).toBe(first.body);
    expect(second.headers['x-signature-256']).toBe(first.headers['x-signature-256']);
    expect((await webhook(id)).recentDeliveries[0]).toMatchObject({
      state: 'DELIVERED',
      attempts: 2,
      responseStatus: 200,
      lastError: null,
      nextAttemptAt: null,
    });
  });

  test('a delivery still refused after its last retry is FAILED with its last error, and holds nothing back', async () => {
    const { id } = await createWebhook({ url: receiver.url('/down') });
    const refusals = Array.from({ length: MAX_ATTEMPTS }, () => status(500, {}, 'still down'));
    receiver.answerNext('/down', ...refusals);
    const ticketId = await api.createTicket(user, projectA);
    await deliver();
    for (const delay of RETRY_DELAYS_MS) {
      expect((await webhook(id)).recentDeliveries[0].state).toBe('PENDING');
      clock.advance(delay);
      await deliver();
      await signInAgain(admin);
    }
    expect(receiver.callsTo('/down')).toHaveLength(MAX_ATTEMPTS);
    const [failed] = (await webhook(id)).recentDeliveries;
    expect(failed).toMatchObject({
      state: 'FAILED',
      attempts: MAX_ATTEMPTS,
      responseStatus: 500,
      lastError: 'Answered 500: still down',
      nextAttemptAt: null,
    });
    // Nothing more is tried, however long one waits.
    clock.advance(RETRY_DELAYS_MS.at(-1)! * 2);
    await deliver();
    expect(receiver.callsTo('/down')).toHaveLength(MAX_ATTEMPTS);

    // The next job is not held behind the FAILED one.
    await signInAgain(admin, agent);
    await comment(agent, ticketId, 'After the outage.');
    await deliver();
    expect(bodies('/down').at(-1)).toMatchObject({
      event: 'TICKET_UPDATED',
      job: { comment: 'After the outage.' },
    });
  }, 30_000);

  test("the outbox's retry refuses a webhook delivery (it would go out of job order): redeliverWebhook does it", async () => {
    const { id } = await createWebhook({ url: receiver.url('/no-retry') });
    await api.createTicket(user, projectA);
    await deliver();
    const [delivery] = (await webhook(id)).recentDeliveries;
    // As if its retries had run out.
    const database = api.server.services.database;
    await database.manager.update(OutboxMessage, Number(delivery.id), { state: OutboxState.FAILED });

    const refused = await api.gql(RETRY_OUTBOX, { id: delivery.id }, { token: admin.token });
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0].extensions!.invalidFields).toEqual([
      { field: 'id', rule: 'useRedeliver', message: expect.stringContaining('redeliverWebhook') },
    ]);
    const message = await database.manager.findOneByOrFail(OutboxMessage, { id: Number(delivery.id) });
    expect(message).toMatchObject({ state: OutboxState.FAILED, attempts: 1 });

    // The outbox says what the delivery is, for a client to word in its own language.
    const { outbox } = await api.ok<{ outbox: { nodes: unknown[] } }>(
      `{ outbox(state: FAILED) { nodes { id channel webhookDelivery { id event job { id } } } } }`,
      {},
      admin.token,
    );
    expect(outbox.nodes).toContainEqual({
      id: delivery.id,
      channel: 'webhook',
      webhookDelivery: { id: delivery.id, event: 'TICKET_OPENED', job: delivery.job },
    });
  });

  test('deliveries to one webhook arrive in job order, even while the first one is retried', async () => {
    await createWebhook({ url: receiver.url('/ordered') });
    receiver.answerNext('/ordered', status(503), status(503));
    const ticketId = await api.createTicket(user, projectA);
    await comment(agent, ticketId, 'Looking into it.');
    await comment(user, ticketId, 'Thanks!');
    await deliver();
    // The first failed: the two behind it waited.
    expect(bodies('/ordered').map((body) => body.event)).toEqual(['TICKET_OPENED']);
    clock.advance(RETRY_DELAYS_MS[0]);
    await deliver();
    clock.advance(RETRY_DELAYS_MS[1]);
    await deliver();
    const received = bodies('/ordered');
    const jobIds = received.map((body) => Number(body.job.id));
    expect(received.map((body) => body.event)).toEqual([
      'TICKET_OPENED',
      'TICKET_OPENED',
      'TICKET_OPENED',
      'TICKET_UPDATED',
      'TICKET_UPDATED',
    ]);
    expect(jobIds.slice(2)).toEqual([...jobIds.slice(2)].sort((a, b) => a - b));
    // The opening job carries no comment: what was said is the ticket's description.
    expect(received.map((body) => body.job.comment).slice(2)).toEqual([null, 'Looking into it.', 'Thanks!']);
  });

  test('a redirect is not followed: the receiver at its Location gets nothing', async () => {
    const { id } = await createWebhook({ url: receiver.url('/moved') });
    receiver.answerNext('/moved', status(302, { Location: receiver.url('/elsewhere') }));
    await api.createTicket(user, projectA);
    await deliver();
    expect(receiver.callsTo('/moved')).toHaveLength(1);
    expect(receiver.callsTo('/elsewhere')).toHaveLength(0);
    expect((await webhook(id)).recentDeliveries[0]).toMatchObject({
      state: 'PENDING',
      responseStatus: 302,
      lastError: 'Answered 302: redirects are not followed; register the final URL',
    });
  });

  test('no delivery to a private address without the allow-list: checked when delivering, not only at registration', async () => {
    // A name is not resolved at registration; it resolves to loopback, which only 127.0.0.1 as written may reach.
    const { id } = await createWebhook({ url: `https://localhost:${receiver.port}/private` });
    const before = receiver.calls.length;
    await api.createTicket(user, projectA);
    await deliver();
    expect(receiver.calls.length).toBe(before);
    const [delivery] = (await webhook(id)).recentDeliveries;
    expect(delivery).toMatchObject({ state: 'PENDING', attempts: 1, responseStatus: null });
    expect(delivery.lastError).toMatch(
      /^Refused: localhost resolves to (127\.0\.0\.1|::1), not a public address \(allow the host with WEBHOOK_ALLOW_HOSTS\)$/,
    );

    // An address written in the URL is refused at once.
    for (const url of [
      'https://10.0.0.7/hook',
      'https://169.254.169.254/latest',
      'https://[::1]/',
      'http://example.com/',
    ]) {
      const result = await api.gql(CREATE_WEBHOOK, { input: { url } }, { token: admin.token });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].extensions!.invalidFields).toEqual([
        { field: 'url', rule: 'notAllowed', message: expect.any(String) },
      ]);
    }
  });

  test('internal notes reach only the webhooks created with includeInternal', async () => {
    await createWebhook({ url: receiver.url('/public-only') });
    await createWebhook({ url: receiver.url('/with-notes'), includeInternal: true });
    const ticketId = await api.createTicket(user, projectA);
    await comment(agent, ticketId, 'Staff only: the reporter is on the old version.', true);
    await comment(agent, ticketId, 'Please update and try again.');
    await deliver();
    const comments = (path: string) => bodies(path).map((body) => [body.job.internal, body.job.comment]);
    expect(comments('/public-only')).toEqual([
      [false, null],
      [false, 'Please update and try again.'],
    ]);
    expect(comments('/with-notes')).toEqual([
      [false, null],
      [true, 'Staff only: the reporter is on the old version.'],
      [false, 'Please update and try again.'],
    ]);
  });

  test('a project filter and an events filter', async () => {
    const { id } = await createWebhook({
      url: receiver.url('/alpha-updates'),
      projectId: projectA,
      events: ['TICKET_UPDATED', 'TICKET_UPDATED'],
    });
    const view = await webhook(id);
    expect(view.events).toEqual(['TICKET_UPDATED']);
    expect(view.project).toEqual({ id: projectA, name: 'Alpha' });
    const inBeta = await api.createTicket(user, projectB);
    await comment(agent, inBeta, 'Beta is not watched.');
    const inAlpha = await api.createTicket(user, projectA);
    await comment(agent, inAlpha, 'Alpha is.');
    await deliver();
    expect(bodies('/alpha-updates').map((body) => [body.event, body.job.comment])).toEqual([
      ['TICKET_UPDATED', 'Alpha is.'],
    ]);
  });

  test('pausing or deleting a webhook cancels its pending deliveries; a paused one gets no new ones', async () => {
    const paused = await createWebhook({ url: receiver.url('/paused') });
    const deleted = await createWebhook({ url: receiver.url('/deleted') });
    receiver.answerNext('/paused', status(500));
    receiver.answerNext('/deleted', status(500));
    const ticketId = await api.createTicket(user, projectA);
    await deliver();
    const deletedDelivery = (await webhook(deleted.id)).recentDeliveries[0];

    const { updateWebhook } = await api.ok<{ updateWebhook: WebhookView }>(
      UPDATE_WEBHOOK,
      { id: paused.id, input: { active: false } },
      admin.token,
    );
    expect(updateWebhook).toMatchObject({ active: false, url: receiver.url('/paused') });
    await api.ok(DELETE_WEBHOOK, { id: deleted.id }, admin.token);
    await comment(agent, ticketId, 'While paused.');
    clock.advance(RETRY_DELAYS_MS[0]);
    await deliver();

    expect(receiver.callsTo('/paused')).toHaveLength(1);
    expect(receiver.callsTo('/deleted')).toHaveLength(1);
    expect((await webhook(paused.id)).recentDeliveries).toEqual([
      expect.objectContaining({ state: 'FAILED', attempts: 1, lastError: 'Not sent: the webhook is paused' }),
    ]);
    const message = await api.server.services.database.manager.findOneByOrFail(OutboxMessage, {
      id: Number(deletedDelivery.id),
    });
    expect(message).toMatchObject({
      state: OutboxState.CANCELLED,
      lastError: 'Not sent: the webhook was deleted',
    });
  });

  test('a signing secret sealed under another JWT_SECRET: the delivery says to add the webhook again', async () => {
    const { id } = await createWebhook({ url: receiver.url('/old-key') });
    // As after a change of JWT_SECRET: the sealed secret no longer opens with the server's key.
    const other = LinkSecrets.derivedFrom('another-token-secret-of-at-least-32-characters');
    await api.server.services.database.manager.update(Webhook, Number(id), {
      secret: other.seal('whsec_sealed-under-the-old-key'),
    });
    await api.createTicket(user, projectA);
    await deliver();
    expect(receiver.callsTo('/old-key')).toHaveLength(0);
    expect((await webhook(id)).recentDeliveries).toEqual([
      expect.objectContaining({
        state: 'FAILED',
        lastError:
          'Not sent: its signing secret can no longer be read, since JWT_SECRET changed: delete the webhook and add it again to get a new secret',
      }),
    ]);
  });

  test('redeliverWebhook sends the latest matching job again, as a new delivery', async () => {
    const projectC = await api.createProject(admin, 'Gamma');
    const { id } = await createWebhook({ url: receiver.url('/again'), projectId: projectC });
    const none = await api.gql(REDELIVER, { id }, { token: admin.token });
    expect(errorCodes(none)).toEqual(['BAD_USER_INPUT']);
    expect(none.errors![0].extensions!.invalidFields).toEqual([
      { field: 'id', rule: 'nothingToDeliver', message: 'This webhook has no matching job to deliver yet.' },
    ]);

    const ticketId = await api.createTicket(user, projectC);
    await comment(agent, ticketId, 'The latest one.');
    await deliver();
    const { redeliverWebhook } = await api.ok<{ redeliverWebhook: Delivery }>(REDELIVER, { id }, admin.token);
    expect(redeliverWebhook).toMatchObject({ event: 'TICKET_UPDATED', state: 'PENDING', attempts: 0 });
    await deliver();
    const received = receiver.callsTo('/again');
    expect(received.map((call) => call.headers['x-delivery-id'])).toEqual([
      expect.any(String),
      expect.any(String),
      redeliverWebhook.id,
    ]);
    expect(JSON.parse(received[2].body).job).toEqual(JSON.parse(received[1].body).job);
    expect((await webhook(id)).recentDeliveries.map((delivery) => delivery.id)[0]).toBe(redeliverWebhook.id);

    await api.ok(UPDATE_WEBHOOK, { id, input: { active: false } }, admin.token);
    const paused = await api.gql(REDELIVER, { id }, { token: admin.token });
    expect(errorCodes(paused)).toEqual(['BAD_USER_INPUT']);
    expect(paused.errors![0].extensions!.invalidFields).toEqual([
      { field: 'id', rule: 'paused', message: 'This webhook is paused: resume it to redeliver.' },
    ]);
  });

  test('recentDeliveries lists the 20 newest, newest first', async () => {
    const { id } = await createWebhook({ url: receiver.url('/many') });
    const ticketId = await api.createTicket(user, projectA);
    for (let n = 0; n < 22; n += 1) await comment(agent, ticketId, `Comment ${n}`);
    await deliver();
    const ids = (await webhook(id)).recentDeliveries.map((delivery) => Number(delivery.id));
    expect(ids).toHaveLength(20);
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const all = await api.server.services.database.manager.find(OutboxMessage, {
      where: { orderKey: `webhook:${id}` },
      order: { id: 'DESC' },
    });
    expect(all).toHaveLength(23);
    expect(ids).toEqual(all.slice(0, 20).map((message) => message.id));
  });

  test('several webhooks with their deliveries and jobs: a fixed number of SQL statements, not one per webhook', async () => {
    const query = `{ webhooks { id recentDeliveries { id job { id } } } }`;
    await createWebhook({ url: receiver.url('/counted-1') });
    const ticketId = await api.createTicket(user, projectA);
    await deliver();
    const oneWebhook = await api.sqlDuring(() => api.ok(query, {}, admin.token));
    for (const path of ['/counted-2', '/counted-3', '/counted-4'])
      await createWebhook({ url: receiver.url(path) });
    await comment(agent, ticketId, 'Seen by four webhooks.');
    await deliver();
    let listed: { webhooks: { recentDeliveries: unknown[] }[] } | undefined;
    const fourWebhooks = await api.sqlDuring(async () => {
      listed = await api.ok(query, {}, admin.token);
    });
    expect(listed!.webhooks.map((view) => view.recentDeliveries.length)).toEqual([2, 1, 1, 1]);
    // The session, the webhooks, their deliveries (one window query), their jobs (one query).
    expect(fourWebhooks).toBe(SQL_FOR_WEBHOOKS_WITH_JOBS);
    expect(fourWebhooks).toBe(oneWebhook);
  });

  test('a delivery whose job is missing answers NOT_FOUND on that field, not a server error', async () => {
    const { id } = await createWebhook({ url: receiver.url('/lost-job') });
    await api.createTicket(user, projectA);
    await deliver();
    const [delivery] = (await webhook(id)).recentDeliveries;
    const manager = api.server.services.database.manager;
    const message = await manager.findOneByOrFail(OutboxMessage, { id: Number(delivery.id) });
    const params = message.params;
    await manager.save(Object.assign(message, { params: { ...params, jobId: 999_999 } }));

    const result = await api.gql(WEBHOOKS, {}, { token: admin.token });
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
    expect(result.errors![0].path).toEqual(['webhooks', 0, 'recentDeliveries', 0, 'job']);
    await manager.save(Object.assign(message, { params }));
  });

  test('USER and AGENT get FORBIDDEN on every webhook operation, and nothing changes', async () => {
    const { id } = await createWebhook({ url: receiver.url('/guarded') });
    const count = async () =>
      Number(
        (await api.server.services.database.dataSource.query(`SELECT COUNT(*) AS n FROM "webhook"`))[0].n,
      );
    const before = await count();
    for (const person of [user, agent]) {
      for (const [query, variables] of [
        [WEBHOOKS, {}],
        [CREATE_WEBHOOK, { input: { url: receiver.url('/intruder') } }],
        [UPDATE_WEBHOOK, { id, input: { url: receiver.url('/intruder') } }],
        [DELETE_WEBHOOK, { id }],
        [REDELIVER, { id }],
      ] as const) {
        const result = await api.gql(query, variables, { token: person.token });
        expect(errorCodes(result)).toEqual(['FORBIDDEN']);
      }
    }
    expect(await count()).toBe(before);
    expect((await webhook(id)).url).toBe(receiver.url('/guarded'));
    const anonymous = await api.gql(WEBHOOKS);
    expect(errorCodes(anonymous)).toEqual(['UNAUTHENTICATED']);
  });

  test('bad input is BAD_USER_INPUT (or NOT_FOUND) naming the field and rule, never a 500', async () => {
    const invalid = async (query: string, variables: Record<string, unknown>) => {
      const result = await api.gql(query, variables, { token: admin.token });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      return result.errors![0].extensions!.invalidFields;
    };
    const urlRule = (url: string) => invalid(CREATE_WEBHOOK, { input: { url } });
    expect(await urlRule('not a url')).toEqual([
      { field: 'url', rule: 'format', message: expect.any(String) },
    ]);
    expect(await urlRule('ftp://hooks.example.com/')).toEqual([
      { field: 'url', rule: 'format', message: expect.any(String) },
    ]);
    expect(await urlRule('https://me:secret@hooks.example.com/')).toEqual([
      { field: 'url', rule: 'format', message: expect.any(String) },
    ]);
    expect(await urlRule('http://hooks.example.com/')).toEqual([
      { field: 'url', rule: 'notAllowed', message: expect.any(String) },
    ]);
    expect(await invalid(CREATE_WEBHOOK, { input: { url: receiver.url('/x'), events: [] } })).toEqual([
      {
        field: 'events',
        rule: 'required',
        message: 'Choose at least one event, or leave events out for all of them.',
      },
    ]);
    expect(await invalid(CREATE_WEBHOOK, { input: { url: receiver.url('/x'), projectId: 'abc' } })).toEqual([
      { field: 'projectId', rule: 'format', message: expect.any(String) },
    ]);
    expect(
      errorCodes(
        await api.gql(
          CREATE_WEBHOOK,
          { input: { url: receiver.url('/x'), events: ['NOPE'] } },
          { token: admin.token },
        ),
      ),
    ).toEqual(['BAD_USER_INPUT']);
    const missingProject = await api.gql(
      CREATE_WEBHOOK,
      { input: { url: receiver.url('/x'), projectId: '9999' } },
      { token: admin.token },
    );
    expect(errorCodes(missingProject)).toEqual(['NOT_FOUND']);
    for (const query of [DELETE_WEBHOOK, REDELIVER]) {
      expect(errorCodes(await api.gql(query, { id: '9999' }, { token: admin.token }))).toEqual(['NOT_FOUND']);
      expect(await invalid(query, { id: 'x' })).toEqual([
        { field: 'id', rule: 'format', message: expect.any(String) },
      ]);
    }
    expect(
      errorCodes(
        await api.gql(UPDATE_WEBHOOK, { id: '9999', input: { active: false } }, { token: admin.token }),
      ),
    ).toEqual(['NOT_FOUND']);
    const { id } = await createWebhook({ url: receiver.url('/kept') });
    expect(await invalid(UPDATE_WEBHOOK, { id, input: { url: 'https://[fc00::1]/' } })).toEqual([
      { field: 'url', rule: 'notAllowed', message: expect.any(String) },
    ]);
    expect(await invalid(UPDATE_WEBHOOK, { id, input: { events: [] } })).toEqual([
      { field: 'events', rule: 'required', message: expect.any(String) },
    ]);
    expect((await webhook(id)).url).toBe(receiver.url('/kept'));
    const { webhooks } = await api.ok<{ webhooks: WebhookView[] }>(WEBHOOKS, {}, admin.token);
    expect(webhooks.map((candidate) => candidate.url)).toEqual([receiver.url('/kept')]);
  });
});

describe('the HTTP call itself', () => {
  let receiver: WebhookReceiver;
  const allowHosts = ['127.0.0.1'];
  beforeAll(async () => {
    receiver = await WebhookReceiver.start();
  });
  afterAll(async () => {
    await receiver.stop();
  });

  test('a slow receiver fails the try when the time is up (10 s by default)', async () => {
    expect(WEBHOOK_TIMEOUT_MS).toBe(10_000);
    receiver.answerNext('/slow', silence);
    const started = Date.now();
    const call = postWebhook(receiver.url('/slow'), '{}', {}, { allowHosts, timeoutMs: 300 });
    await expect(call).rejects.toEqual(new SendFailed('No answer within 0.3 s', null));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(receiver.callsTo('/slow')).toHaveLength(1);
  });

  test('the answer is not read past 4 kB: an endless 200 is a delivery, at once', async () => {
    receiver.answerNext('/endless', (response) => {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.write('x'.repeat(64 * 1024));
    });
    const started = Date.now();
    await expect(
      postWebhook(receiver.url('/endless'), '{}', {}, { allowHosts, timeoutMs: 5000 }),
    ).resolves.toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  test('a receiver that is not there is a failed try without a status', async () => {
    const closed = await WebhookReceiver.start();
    const url = closed.url('/gone');
    await closed.stop();
    await expect(postWebhook(url, '{}', {}, { allowHosts })).rejects.toMatchObject({
      responseStatus: null,
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });
});
