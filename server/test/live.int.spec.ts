import { countQueries } from '../src/database/query-counter';
import { LIVE_CLOSE, LIVE_LIMITS } from '../src/live/live-connections';
import { LiveFeed } from '../src/live/live-feed';
import { LiveClient, type LiveSubscription, waitFor } from './support/live-client';
import { TestApi, type TestUser } from './support/test-server';

/**
 * Subscriptions over a real WebSocket (graphql-ws): who receives what, in order, filtered by the access
 * policy at the moment each event is sent; authentication, sessions that end, limits.
 */

const JOB_FIELDS =
  'id internal comment commentHtml attachments { id } changes { field } ticket { id title } author { username }';
const TICKET_UPDATED = `subscription ($id: ID!) { ticketUpdated(id: $id) { ${JOB_FIELDS} } }`;
const JOB_ADDED = `subscription ($projectId: ID) { jobAdded(projectId: $projectId) { ${JOB_FIELDS} } }`;

interface LiveJob {
  id: string;
  internal: boolean;
  comment: string | null;
  commentHtml: string | null;
  attachments: { id: string }[];
  changes: { field: string }[];
  ticket: { id: string; title: string };
  author: { username: string };
}
type TicketUpdated = { ticketUpdated: LiveJob };
type JobAdded = { jobAdded: LiveJob };

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let website: string;
let mobile: string;
let aliceTicket: string;
let bobTicket: string;
const clients: LiveClient[] = [];

async function open(options: ConstructorParameters<typeof LiveClient>[1] = {}): Promise<LiveClient> {
  const client = await LiveClient.open(api.url, options);
  clients.push(client);
  return client;
}

function comment(who: TestUser, ticketId: string, text: string, internal = false): Promise<unknown> {
  return api.ok(
    'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
    { id: ticketId, input: { comment: text, ...(internal ? { internal: true } : {}) } },
    who.token,
  );
}

/** The comments a subscription received, in order. */
function comments(subscription: LiveSubscription<TicketUpdated | JobAdded>): (string | null)[] {
  return subscription.data.map((data) =>
    'ticketUpdated' in data ? data.ticketUpdated.comment : data.jobAdded.comment,
  );
}

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  website = await api.createProject(admin, 'Website');
  mobile = await api.createProject(admin, 'Mobile app');
  aliceTicket = await api.createTicket(alice, website, { title: 'Alice cannot log in' });
  bobTicket = await api.createTicket(bob, mobile, { title: 'Bob sees a blank page' });
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await waitFor(() => api.server.live.connections.size === 0, 5000, 'every socket to be released');
});

afterAll(async () => {
  await api?.stop();
});

describe('who receives what', () => {
  test('two users, two tickets and an agent: each receives exactly what they may see, in order', async () => {
    const [aliceSocket, bobSocket, agentSocket] = await Promise.all([
      open({ token: alice.token }),
      open({ token: bob.token }),
      open({ token: agent.token }),
    ]);
    const aliceAll = aliceSocket.subscribe<JobAdded>(JOB_ADDED);
    const aliceOwn = aliceSocket.subscribe<TicketUpdated>(TICKET_UPDATED, { id: aliceTicket });
    const bobAll = bobSocket.subscribe<JobAdded>(JOB_ADDED);
    const agentAll = agentSocket.subscribe<JobAdded>(JOB_ADDED);
    const agentWebsite = agentSocket.subscribe<JobAdded>(JOB_ADDED, { projectId: website });
    await waitFor(() => api.server.services.live.subscriberCount === 5, 5000, 'five subscriptions');

    await comment(agent, aliceTicket, 'Which browser do you use?');
    await comment(agent, aliceTicket, 'Probably the SSO bug again', true);
    await comment(bob, bobTicket, 'Still blank today');
    await comment(alice, aliceTicket, 'Firefox 128');
    await comment(agent, bobTicket, 'Bob is on the old app', true);
    await comment(agent, bobTicket, 'Please update the app');

    await agentAll.received(6);
    expect(comments(agentAll)).toEqual([
      'Which browser do you use?',
      'Probably the SSO bug again',
      'Still blank today',
      'Firefox 128',
      'Bob is on the old app',
      'Please update the app',
    ]);
    expect(agentAll.data.map((d) => d.jobAdded.internal)).toEqual([false, true, false, false, true, false]);
    await agentWebsite.received(3);
    expect(comments(agentWebsite)).toEqual([
      'Which browser do you use?',
      'Probably the SSO bug again',
      'Firefox 128',
    ]);
    await aliceAll.received(2);
    await aliceOwn.received(2);
    await bobAll.received(2);
    // Everything was read (the agent's feed is complete), so nothing more is on its way to the users.
    await api.server.services.live.runOnce();
    expect(comments(aliceAll)).toEqual(['Which browser do you use?', 'Firefox 128']);
    expect(comments(aliceOwn)).toEqual(['Which browser do you use?', 'Firefox 128']);
    expect(comments(bobAll)).toEqual(['Still blank today', 'Please update the app']);
    // The Job's fields resolve as in a query: its ticket and author.
    expect(aliceOwn.data[1].ticketUpdated).toMatchObject({
      internal: false,
      commentHtml: '<p>Firefox 128</p>\n',
      attachments: [],
      changes: [],
      ticket: { id: aliceTicket, title: 'Alice cannot log in' },
      author: { username: alice.username },
    });
    // The same jobs as the database holds, in the same order.
    const rows = await api.sql<{ id: number }[]>(
      'SELECT "id" FROM "job" WHERE "ticketId" = ? AND "internal" = ? ORDER BY "id" DESC LIMIT 2',
      [Number(aliceTicket), false],
    );
    expect(aliceOwn.data.map((d) => Number(d.ticketUpdated.id))).toEqual(rows.map((r) => r.id).reverse());
    for (const subscription of [aliceAll, aliceOwn, bobAll, agentAll, agentWebsite])
      expect(subscription.results.every((r) => r.errors === undefined)).toBe(true);
  });

  test('a new ticket reaches jobAdded of its reporter and of the staff, not another user', async () => {
    const [aliceSocket, bobSocket, agentSocket] = await Promise.all([
      open({ token: alice.token }),
      open({ token: bob.token }),
      open({ token: agent.token }),
    ]);
    const aliceAll = aliceSocket.subscribe<JobAdded>(JOB_ADDED);
    const bobAll = bobSocket.subscribe<JobAdded>(JOB_ADDED);
    const agentMobile = agentSocket.subscribe<JobAdded>(JOB_ADDED, { projectId: mobile });
    await waitFor(() => api.server.services.live.subscriberCount === 3, 5000, 'three subscriptions');
    const created = await api.createTicket(alice, mobile, { title: 'Push notifications are late' });
    await comment(bob, bobTicket, 'Fence');
    await agentMobile.received(2);
    await bobAll.received(1);
    await aliceAll.received(1);
    expect(agentMobile.data.map((d) => d.jobAdded.ticket.id)).toEqual([created, bobTicket]);
    expect(aliceAll.data.map((d) => d.jobAdded.ticket)).toEqual([
      { id: created, title: 'Push notifications are late' },
    ]);
    expect(comments(bobAll)).toEqual(['Fence']);
  });

  test('ticketUpdated on a ticket the caller may not see answers NOT_FOUND, as the query does', async () => {
    const bobSocket = await open({ token: bob.token });
    const refused = bobSocket.subscribe(TICKET_UPDATED, { id: aliceTicket });
    const missing = bobSocket.subscribe(TICKET_UPDATED, { id: '999999' });
    await refused.received(1);
    await missing.received(1);
    const query = await api.gql(
      'query ($id: ID!) { ticket(id: $id) { id } }',
      { id: aliceTicket },
      { token: bob.token },
    );
    for (const subscription of [refused, missing]) {
      expect(subscription.results[0].data ?? null).toBeNull();
      expect(subscription.results[0].errors!.map((e) => e.extensions.code)).toEqual(['NOT_FOUND']);
      await subscription.ended();
    }
    expect(refused.results[0].errors![0].message).toBe(query.errors![0].message);
    expect(missing.results[0].errors![0].message).toBe(`Ticket 999999 not found.`);
    const badId = bobSocket.subscribe(TICKET_UPDATED, { id: 'abc' });
    await badId.received(1);
    expect(badId.results[0].errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    expect(bobSocket.connected).toBe(true);
  });

  test('jobAdded on a project that does not exist answers NOT_FOUND', async () => {
    const socket = await open({ token: alice.token });
    const subscription = socket.subscribe(JOB_ADDED, { projectId: '424242' });
    await subscription.received(1);
    expect(subscription.results[0].errors![0]).toMatchObject({
      message: 'Project 424242 not found.',
      extensions: { code: 'NOT_FOUND' },
    });
  });
});

describe('authentication', () => {
  test('the session cookie from the service’s own pages works; from another site it is refused', async () => {
    const own = await open({ cookie: `st_session=${alice.token}`, origin: api.url });
    expect(own.connected).toBe(true);
    const subscription = own.subscribe<TicketUpdated>(TICKET_UPDATED, { id: aliceTicket });
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    await comment(agent, aliceTicket, 'Seen through the cookie');
    await subscription.received(1);
    expect(comments(subscription)).toEqual(['Seen through the cookie']);

    const foreign = await open({ cookie: `st_session=${alice.token}`, origin: 'https://evil.example' });
    expect(await foreign.closedBy()).toEqual({
      code: LIVE_CLOSE.foreignOrigin,
      reason: 'Forbidden: a page of another site cannot use the session cookie; send a Bearer token.',
    });
  });

  test('no credential, or a bad one, is refused with 4401 and a reason, never a stack', async () => {
    const anonymous = await open();
    expect(await anonymous.closedBy()).toEqual({
      code: LIVE_CLOSE.unauthorized,
      reason: 'Unauthorized: sign in, or send { "authorization": "Bearer <token>" } in connection_init.',
    });
    const forged = await open({ token: api.signToken({ sub: alice.id }, {}, 'not the secret') });
    expect(await forged.closedBy()).toEqual({
      code: LIVE_CLOSE.unauthorized,
      reason: 'Unauthorized: Your token is not valid. Please log in again.',
    });
    const malformed = await open({ connectionParams: { authorization: 'Token abc' } });
    expect((await malformed.closedBy()).code).toBe(LIVE_CLOSE.unauthorized);
    expect(api.server.live.connections.size).toBe(0);
  });

  test('an API token works, a READ token included', async () => {
    const { createApiToken } = await api.ok<{ createApiToken: { secret: string } }>(
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
      { input: { name: 'dashboard', scope: 'READ' } },
      agent.token,
    );
    const remaining = async () => {
      const answer = await api.gql('{ me { id } }', {}, { token: createApiToken.secret });
      return {
        left: answer.extensions!.cost.remaining as number,
        paid: answer.extensions!.cost.requested as number,
      };
    };
    const before = await remaining();
    const socket = await open({ token: createApiToken.secret });
    expect(socket.connected).toBe(true);
    const subscription = socket.subscribe<JobAdded>(JOB_ADDED);
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    await comment(agent, bobTicket, 'Seen by the integration', true);
    await comment(agent, bobTicket, 'And again');
    await subscription.received(2);
    expect(comments(subscription)).toEqual(['Seen by the integration', 'And again']);
    // The subscription was paid once, when it started; its events cost nothing.
    const after = await remaining();
    expect(before.left - after.left - after.paid).toBe(1);
  });
});

describe('only subscriptions', () => {
  test('a query or a mutation over the socket is refused with BAD_USER_INPUT, and the socket stays', async () => {
    const socket = await open({ token: alice.token });
    const query = socket.subscribe('{ me { id } }');
    const mutation = socket.subscribe(
      'mutation ($id: ID!) { updateTicket(id: $id, input: { comment: "x" }) { id } }',
      { id: aliceTicket },
    );
    await query.ended();
    await mutation.ended();
    for (const refused of [query, mutation]) {
      expect(refused.error).toEqual([
        {
          message:
            'Only subscriptions are served over the WebSocket: send queries and mutations with POST /graphql.',
          extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
        },
      ]);
    }
    expect(await api.sql('SELECT COUNT(*) AS n FROM "job" WHERE "comment" = ?', ['x'])).toEqual([{ n: 0 }]);
    expect(socket.connected).toBe(true);
  });

  test('documents get the HTTP route’s checks: syntax, unknown fields, depth', async () => {
    const socket = await open({ token: alice.token });
    const syntax = socket.subscribe('subscription { jobAdded {');
    const unknown = socket.subscribe('subscription { jobAdded { secret } }');
    const deep = socket.subscribe(
      `subscription { jobAdded { ticket { jobs { ticket { jobs { ticket { jobs { ticket { jobs { ticket { jobs { id } } } } } } } } } } } }`,
    );
    for (const refused of [syntax, unknown, deep]) {
      await refused.ended();
      const errors = refused.error as { message: string; extensions: { code: string } }[];
      expect(errors.map((e) => e.extensions.code)).toEqual(errors.map(() => 'BAD_USER_INPUT'));
      expect(JSON.stringify(errors)).not.toMatch(/stack|at .*\.js/);
    }
    expect((unknown.error as { message: string }[])[0].message).toBe(
      'Cannot query field "secret" on type "Job".',
    );
  });

  test('HTTP answers a subscription with BAD_USER_INPUT: it is served over the WebSocket', async () => {
    const before = await api.snapshot();
    const result = await api.gql(JOB_ADDED, {}, { token: alice.token });
    expect(result.errors).toEqual([
      {
        message:
          'Subscriptions are served over a WebSocket at /graphql (graphql-ws protocol), not over HTTP.',
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
      },
    ]);
    expect(result.status).toBe(400);
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('sessions that end', () => {
  test('a password change closes the sockets of the sessions it ends', async () => {
    const erin = await api.register('erin');
    const socket = await open({ token: erin.token });
    const newPassword = 'a brand new passphrase 2026';
    await api.ok(
      'mutation ($input: UpdateMeInput!) { updateMe(input: $input) { id } }',
      { input: { currentPassword: erin.password, newPassword } },
      erin.token,
    );
    expect(await socket.closedBy(3000)).toEqual({
      code: LIVE_CLOSE.forbidden,
      reason: 'Session ended: sign in again.',
    });
    const fresh = dataOfLogin(await api.login(erin.username, newPassword));
    expect((await open({ token: fresh })).connected).toBe(true);
  });

  test('the check of every socket’s credential costs the same statements for 2 sockets or 12', async () => {
    const { createApiToken } = await api.ok<{ createApiToken: { secret: string } }>(
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
      { input: { name: 'counted', scope: 'READ' } },
      bob.token,
    );
    await open({ token: alice.token });
    await open({ token: createApiToken.secret });
    const few = await countQueries(() => api.server.live.recheckNow());
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        open({ token: [agent.token, bob.token, createApiToken.secret][i % 3] }),
      ),
    );
    expect(api.server.live.connections.size).toBe(12);
    const many = await countQueries(() => api.server.live.recheckNow());
    // The users, the revoked sessions, the API tokens: one statement each.
    expect(few.queries).toBe(3);
    expect(many.queries).toBe(3);
    expect(clients.every((client) => client.connected)).toBe(true);
  });

  test('logout closes the socket with 4403 at once', async () => {
    const session = dataOfLogin(await api.login(alice.username, alice.password));
    const socket = await open({ token: session });
    await api.ok('mutation { logout }', {}, session);
    expect(await socket.closedBy(3000)).toEqual({
      code: LIVE_CLOSE.forbidden,
      reason: 'Session ended: sign in again.',
    });
  });

  test('a deactivated user is disconnected, a revoked API token too', async () => {
    const carol = await api.register('carol');
    const { createApiToken } = await api.ok<{ createApiToken: { secret: string; apiToken: { id: string } } }>(
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret apiToken { id } } }',
      { input: { name: 'script', scope: 'WRITE' } },
      carol.token,
    );
    const [byToken, bySession, other] = await Promise.all([
      open({ token: createApiToken.secret }),
      open({ token: carol.token }),
      open({ token: bob.token }),
    ]);
    await api.ok(
      'mutation ($id: ID!) { revokeApiToken(id: $id) }',
      { id: createApiToken.apiToken.id },
      carol.token,
    );
    expect(await byToken.closedBy(3000)).toEqual({
      code: LIVE_CLOSE.forbidden,
      reason: 'API token revoked or expired.',
    });
    expect(bySession.connected).toBe(true);
    await api.ok(
      'mutation ($id: ID!) { setUserDeactivated(userId: $id, deactivated: true) { id } }',
      { id: carol.id },
      admin.token,
    );
    expect(await bySession.closedBy(3000)).toEqual({
      code: LIVE_CLOSE.forbidden,
      reason: 'Session ended: sign in again.',
    });
    expect(other.connected).toBe(true);
  });
});

describe('limits', () => {
  test('a message larger than 16 KiB closes the socket (1009)', async () => {
    const socket = await open({ token: alice.token });
    socket.subscribe(`subscription { jobAdded { id } } # ${'x'.repeat(LIVE_LIMITS.maxPayloadBytes)}`);
    expect((await socket.closedBy()).code).toBe(1009);
  });

  test('the 11th connection of a user is refused with 4429; others are not affected', async () => {
    const sockets = await Promise.all(
      Array.from({ length: LIVE_LIMITS.connectionsPerUser }, () => open({ token: bob.token })),
    );
    expect(sockets.every((socket) => socket.connected)).toBe(true);
    const eleventh = await open({ token: bob.token });
    expect(await eleventh.closedBy()).toEqual({
      code: LIVE_CLOSE.tooMany,
      reason: 'Too many connections: at most 10 per user; close one first.',
    });
    expect((await open({ token: alice.token })).connected).toBe(true);
    // One closed, one more may open.
    await sockets[0].dispose();
    await waitFor(() => api.server.live.connections.countOf(Number(bob.id)) === 9, 5000, 'the release');
    expect((await open({ token: bob.token })).connected).toBe(true);
  });

  test('at most 20 subscriptions on one socket', async () => {
    const socket = await open({ token: agent.token });
    const subscriptions = Array.from({ length: LIVE_LIMITS.subscriptionsPerConnection }, () =>
      socket.subscribe(JOB_ADDED),
    );
    await waitFor(() => api.server.services.live.subscriberCount === 20, 5000, 'twenty subscriptions');
    const extra = socket.subscribe(JOB_ADDED);
    await extra.ended();
    expect(extra.error).toEqual([
      expect.objectContaining({
        extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }),
        message: 'At most 20 subscriptions at once on one connection: complete one first.',
      }),
    ]);
    subscriptions[0].stop();
    await waitFor(() => api.server.services.live.subscriberCount === 19, 5000, 'a completion');
    const again = socket.subscribe(JOB_ADDED);
    await waitFor(() => api.server.services.live.subscriberCount === 20, 5000, 'the new one');
    expect(again.error).toBeUndefined();
  });

  test('at most 120 subscribe messages a minute on one socket: then RATE_LIMITED', async () => {
    const socket = await open({ token: alice.token });
    // Refused at once (not subscriptions), but counted: each is checked like a request.
    const sent = Array.from({ length: LIVE_LIMITS.subscribesPerMinute + 1 }, () =>
      socket.subscribe('{ me { id } }'),
    );
    for (const one of sent) await one.ended();
    const codes = sent.map((one) => (one.error as { extensions: { code: string } }[])[0].extensions.code);
    expect(codes.filter((code) => code === 'BAD_USER_INPUT')).toHaveLength(LIVE_LIMITS.subscribesPerMinute);
    expect(codes.at(-1)).toBe('RATE_LIMITED');
    expect(
      (sent.at(-1)!.error as { extensions: { retryAfterSeconds: number } }[])[0].extensions.retryAfterSeconds,
    ).toBeGreaterThan(0);
    expect(socket.connected).toBe(true);
  });
});

describe('delivery', () => {
  test('quick commits: each event is delivered once, in order', async () => {
    const socket = await open({ token: agent.token });
    const subscription = socket.subscribe<TicketUpdated>(TICKET_UPDATED, { id: bobTicket });
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    const texts = Array.from({ length: 30 }, (_, i) => `Quick ${i}`);
    await Promise.all(texts.map((text) => comment(agent, bobTicket, text)));
    await subscription.received(30);
    await api.server.services.live.runOnce();
    const ids = subscription.data.map((d) => Number(d.ticketUpdated.id));
    expect(ids).toHaveLength(30);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    expect(new Set(comments(subscription))).toEqual(new Set(texts));
  });

  test('a role change between events counts: a demoted agent stops receiving internal notes', async () => {
    const dave = await api.register('dave');
    await api.setRole(admin, dave, 'AGENT');
    const socket = await open({ token: dave.token });
    const subscription = socket.subscribe<JobAdded>(JOB_ADDED);
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    await comment(agent, aliceTicket, 'Note before', true);
    await subscription.received(1);
    await api.setRole(admin, dave, 'USER');
    await comment(agent, aliceTicket, 'Note after', true);
    await comment(agent, aliceTicket, 'Public after');
    const daveTicket = await api.createTicket(dave, website, { title: 'Dave’s own' });
    await subscription.received(2);
    await api.server.services.live.runOnce();
    expect(subscription.data.map((d) => d.jobAdded.ticket.id)).toEqual([aliceTicket, daveTicket]);
    expect(comments(subscription)[0]).toBe('Note before');
  });

  test('the feed reads the log once per batch, whatever the number of subscribers', async () => {
    // A feed of its own, not started: only runOnce reads, so every statement it sends is counted here.
    const services = api.server.services;
    const feed = new LiveFeed(services.database, services.events, { error: () => undefined });
    const received: number[] = [];
    const subscriber = (user: TestUser) => ({
      userId: Number(user.id),
      matches: () => true,
      stillSignedIn: () => true,
      deliver: (job: { id: number }) => void received.push(job.id),
    });
    await feed.subscribe(subscriber(agent));
    await comment(agent, aliceTicket, 'Counted once');
    const alone = await countQueries(() => feed.runOnce());
    expect(received).toHaveLength(1);
    for (let i = 0; i < 9; i += 1) await feed.subscribe(subscriber([agent, alice, bob][i % 3]));
    await comment(agent, aliceTicket, 'Counted for ten');
    await comment(agent, bobTicket, 'And another');
    const many = await countQueries(() => feed.runOnce());
    // The agent's four subscribers get both, alice's three the first, bob's three the second.
    expect(received).toHaveLength(1 + 4 * 2 + 3 + 3);
    // One read of the events (with their jobs and tickets), one of the subscribers' users.
    expect(alone.queries).toBe(2);
    expect(many.queries).toBe(alone.queries);
    await feed.stop();
  });
});

function dataOfLogin(result: { data?: { login: { token: string } } | null }): string {
  return result.data!.login.token;
}
