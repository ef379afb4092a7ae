import WebSocket from 'ws';
import { LIVE_CLOSE } from '../../src/live/live-connections';
import { LiveClient, type LiveSubscription, waitFor } from '../support/live-client';
import { TestApi, errorCodes, type TestUser } from '../support/test-server';

/**
 * A review of issue 13 as an attacker: subscriptions over a real WebSocket (origins, credentials, the
 * protocol itself, a reader that never reads), bulk edits, saved views and the team table, on both
 * databases. A probe that found nothing stays as a regression test.
 */
let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let website: string;
let archived: string;
let aliceTicket: string;
let bobTicket: string;
const clients: LiveClient[] = [];
const raws: WebSocket[] = [];

const JOB_ADDED = `subscription ($projectId: ID) { jobAdded(projectId: $projectId) { id internal comment ticket { id } } }`;
const TICKET_UPDATED = `subscription ($id: ID!) { ticketUpdated(id: $id) { id comment } }`;
const UPDATE_TICKET =
  'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }';
const UPDATE_TICKETS = `mutation ($ids: [ID!]!, $input: BulkTicketUpdateInput!) {
  updateTickets(ids: $ids, input: $input) { id status assignee { id } }
}`;
const SAVE_VIEW = 'mutation ($input: SaveViewInput!) { saveView(input: $input) { id name query } }';

async function open(options: ConstructorParameters<typeof LiveClient>[1] = {}): Promise<LiveClient> {
  const client = await LiveClient.open(api.url, options);
  clients.push(client);
  return client;
}

const comment = (who: TestUser, id: string, text: string, internal = false) =>
  api.ok(UPDATE_TICKET, { id, input: { comment: text, ...(internal ? { internal: true } : {}) } }, who.token);

/** A bare graphql-ws socket: the messages it gets, and how it was closed. */
class RawSocket {
  readonly messages: any[] = [];
  closed: { code: number; reason: string } | undefined;
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => this.messages.push(JSON.parse(String(data))));
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
  }
  static async open(headers: Record<string, string> = {}): Promise<RawSocket> {
    const ws = new WebSocket(`${api.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws', {
      headers,
    });
    raws.push(ws);
    const raw = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return raw;
  }
  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }
  async acked(token: string): Promise<void> {
    this.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await waitFor(() => this.messages.some((m) => m.type === 'connection_ack'), 5000, 'connection_ack');
  }
  async closedBy(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closed !== undefined, timeoutMs, 'the socket to close');
    return this.closed!;
  }
  of(id: string): any[] {
    return this.messages.filter((m) => m.id === id);
  }
}

/** The codes of a subscription refused when it started (graphql-js answers its subscribe error as a result). */
function refusal(subscription: LiveSubscription): string[] {
  return subscription.results.flatMap((result) =>
    (result.errors ?? []).map((error: any) => error.extensions?.code),
  );
}

/** No message may carry a stack, SQL or a file path. */
function expectNoInternals(value: unknown): void {
  const text = JSON.stringify(value);
  expect(text).not.toMatch(
    /stacktrace|\bat \w+ \(|SELECT |INSERT |FROM "|sqlite|postgres|node_modules|\.ts:\d/,
  );
}

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  website = await api.createProject(admin, 'Website');
  archived = await api.createProject(admin, 'Old intranet');
  aliceTicket = await api.createTicket(alice, website, { title: 'Alice cannot log in' });
  bobTicket = await api.createTicket(bob, website, { title: 'Bob sees a blank page' });
  await api.createTicket(bob, archived, { title: 'Bob in the archive' });
  await api.ok(
    'mutation ($id: ID!) { updateProject(id: $id, input: { archived: true }) { id } }',
    { id: archived },
    admin.token,
  );
});

afterEach(async () => {
  for (const ws of raws.splice(0)) ws.terminate();
  await Promise.all(clients.splice(0).map((client) => client.dispose()));
  await waitFor(() => api.server.live.connections.size === 0, 5000, 'every socket to be released');
});

afterAll(async () => {
  await api?.stop();
});

describe('subscriptions: who connects', () => {
  test('the cookie with a `null` Origin or a look-alike of the service’s origin is refused (4400)', async () => {
    const port = new URL(api.url).port;
    for (const origin of ['null', `http://localhost:${port}.evil.example`, 'http://localhost:1', 'file://']) {
      const socket = await open({ cookie: `st_session=${alice.token}`, origin });
      expect((await socket.closedBy()).code).toBe(LIVE_CLOSE.foreignOrigin);
    }
    expect(api.server.live.connections.size).toBe(0);
  });

  test('the cookie without an Origin (a program, not a browser page) is that user', async () => {
    const socket = await open({ cookie: `st_session=${alice.token}` });
    expect(socket.connected).toBe(true);
    const mine = socket.subscribe(TICKET_UPDATED, { id: aliceTicket });
    const theirs = socket.subscribe(TICKET_UPDATED, { id: bobTicket });
    await theirs.ended();
    expect(refusal(theirs)).toEqual(['NOT_FOUND']);
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    await comment(agent, aliceTicket, 'For Alice');
    await mine.received(1);
  });

  test('a cookie and a Bearer of someone else: the Bearer alone counts, from any origin', async () => {
    const socket = await open({
      cookie: `st_session=${agent.token}`,
      origin: 'https://evil.example',
      token: alice.token,
    });
    expect(socket.connected).toBe(true);
    // Alice's rights, not the agent's: Bob's ticket does not exist for her.
    const theirs = socket.subscribe(TICKET_UPDATED, { id: bobTicket });
    await theirs.ended();
    expect(refusal(theirs)).toEqual(['NOT_FOUND']);
    const all = socket.subscribe(JOB_ADDED);
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    await comment(agent, bobTicket, 'Not for Alice');
    await comment(agent, aliceTicket, 'Secret about Alice', true);
    await comment(agent, aliceTicket, 'For Alice');
    await all.received(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(all.data.map((d: any) => d.jobAdded.comment)).toEqual(['For Alice']);
  });

  test('an authorization that is not a string, empty, or two tokens is refused (4401)', async () => {
    for (const authorization of [42, '', 'Bearer', `Bearer ${alice.token} ${bob.token}`, ['Bearer x']]) {
      const socket = await open({ connectionParams: { authorization } });
      expect((await socket.closedBy()).code).toBe(LIVE_CLOSE.unauthorized);
    }
  });

  test('an expired API token cannot connect', async () => {
    const { createApiToken } = await api.ok<{ createApiToken: { secret: string; apiToken: { id: string } } }>(
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret apiToken { id } } }',
      { input: { name: 'old script', scope: 'READ', expiresInDays: 1 } },
      alice.token,
    );
    await api.sql('UPDATE "api_token" SET "expiresAt" = ? WHERE "id" = ?', [
      Date.now() - 1000,
      Number(createApiToken.apiToken.id),
    ]);
    const socket = await open({ token: createApiToken.secret });
    expect((await socket.closedBy()).code).toBe(LIVE_CLOSE.unauthorized);
  });
});

describe('subscriptions: a credential that ends', () => {
  test('after logout, or the revocation of an API token, not one more event is sent', async () => {
    const login = await api.login(alice.username, alice.password);
    const session = login.data!.login.token;
    const { createApiToken } = await api.ok<{ createApiToken: { secret: string; apiToken: { id: string } } }>(
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret apiToken { id } } }',
      { input: { name: 'stolen', scope: 'READ' } },
      alice.token,
    );
    const bySession = await open({ token: session });
    const byToken = await open({ token: createApiToken.secret });
    const watched = [bySession, byToken].map((socket) =>
      socket.subscribe(TICKET_UPDATED, { id: aliceTicket }),
    );
    await waitFor(() => api.server.services.live.subscriberCount === 2, 5000, 'the subscriptions');
    await api.ok('mutation { logout }', {}, session);
    await api.ok(
      'mutation ($id: ID!) { revokeApiToken(id: $id) }',
      { id: createApiToken.apiToken.id },
      alice.token,
    );
    // The thief's sockets are still open for a moment: what is written now must not reach them.
    await comment(agent, aliceTicket, 'Written after the logout');
    await Promise.all([bySession.closedBy(3000), byToken.closedBy(3000)]);
    expect(watched.map((subscription) => subscription.data)).toEqual([[], []]);
  });
});

describe('subscriptions: what a USER receives', () => {
  test('jobAdded on an archived project answers NOT_FOUND like a project that does not exist', async () => {
    const socket = await open({ token: bob.token });
    const hidden = socket.subscribe(JOB_ADDED, { projectId: archived });
    const missing = socket.subscribe(JOB_ADDED, { projectId: '999999' });
    await Promise.all([hidden.ended(), missing.ended()]);
    const strip = (errors: any) =>
      JSON.stringify(errors).replace(/"Project \d+ not found/, '"Project N not found');
    expect(strip(hidden.results)).toBe(strip(missing.results));
    expect(refusal(hidden)).toEqual(['NOT_FOUND']);
  });

  test('an event lists nothing beyond its job: a ticket’s history, however hidden, is refused', async () => {
    await comment(agent, aliceTicket, 'Internal before', true);
    const socket = await open({ token: alice.token });
    const refused = [
      `subscription ($id: ID!) { ticketUpdated(id: $id) { id ticket { jobs { internal comment } } } }`,
      `subscription ($id: ID!) { ticketUpdated(id: $id) { id t: ticket { attachments { id } } } }`,
      `subscription { jobAdded { ...J } } fragment J on Job { ticket { ...T } } fragment T on Ticket { jobs { id } }`,
      `subscription { jobAdded { ... on Job { ticket { ... on Ticket { jobs { id } } } } } }`,
    ].map((query) => socket.subscribe(query, { id: aliceTicket }));
    for (const subscription of refused) {
      await subscription.ended();
      const errors = subscription.error as {
        message: string;
        extensions: { code: string; invalidFields: unknown };
      }[];
      expect(errors.map((error) => [error.extensions.code, error.extensions.invalidFields])).toEqual([
        ['BAD_USER_INPUT', [expect.objectContaining({ field: 'query', rule: 'notAllowed' })]],
      ]);
      expect(errors[0].message).toMatch(
        /^A subscription lists nothing beyond its event's job: read \S*(jobs|attachments) with a query/,
      );
      expectNoInternals(errors);
    }
    // The job's own lists, and the ticket's single values, are what an event carries.
    const light = socket.subscribe(
      `subscription ($id: ID!) { ticketUpdated(id: $id) { id comment changes { field } attachments { id } ticket { id status assignee { username } } } }`,
      { id: aliceTicket },
    );
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    await comment(agent, aliceTicket, 'Internal during', true);
    await comment(agent, aliceTicket, 'Public reply');
    await light.received(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(light.results).toHaveLength(1);
    expect((light.data[0] as any).ticketUpdated.comment).toBe('Public reply');
  });

  test('an agent demoted while subscribed stops receiving other people’s tickets at once', async () => {
    const dave = await api.register('dave');
    await api.setRole(admin, dave, 'AGENT');
    const socket = await open({ token: dave.token });
    const all = socket.subscribe(JOB_ADDED);
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    await comment(agent, bobTicket, 'Before the demotion');
    await all.received(1);
    await api.setRole(admin, dave, 'USER');
    await comment(agent, bobTicket, 'After the demotion');
    await comment(agent, bobTicket, 'Internal after', true);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(all.data.map((d: any) => d.jobAdded.comment)).toEqual(['Before the demotion']);
  });
});

describe('subscriptions: the protocol itself', () => {
  test('subscribe before connection_ack closes with 4401; nothing runs', async () => {
    const raw = await RawSocket.open();
    raw.send({ id: '1', type: 'subscribe', payload: { query: JOB_ADDED } });
    expect((await raw.closedBy()).code).toBe(4401);
    expect(api.server.services.live.subscriberCount).toBe(0);
  });

  test('a second subscribe with an id in use closes with 4409; invalid JSON with 4400', async () => {
    const raw = await RawSocket.open();
    await raw.acked(alice.token);
    raw.send({ id: 'a', type: 'subscribe', payload: { query: JOB_ADDED } });
    raw.send({ id: 'a', type: 'subscribe', payload: { query: JOB_ADDED } });
    expect((await raw.closedBy()).code).toBe(4409);
    const broken = await RawSocket.open();
    await broken.acked(alice.token);
    broken.send('{"type": "subscribe", ');
    expect((await broken.closedBy()).code).toBe(4400);
    const deep = await RawSocket.open();
    await deep.acked(alice.token);
    deep.send('['.repeat(5000) + ']'.repeat(5000));
    expect((await deep.closedBy()).code).toBe(4400);
  });

  test('a binary frame is read as text, with the same checks', async () => {
    const raw = await RawSocket.open();
    await raw.acked(alice.token);
    raw.ws.send(
      Buffer.from(JSON.stringify({ id: 'q', type: 'subscribe', payload: { query: '{ me { id } }' } })),
    );
    await waitFor(() => raw.of('q').length > 0, 5000, 'an answer');
    expect(raw.of('q')[0].type).toBe('error');
    expect(raw.of('q')[0].payload[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(raw.closed).toBeUndefined();
  });

  test('introspection, several root fields, fragment cycles and alias floods are refused by validation', async () => {
    const raw = await RawSocket.open();
    await raw.acked(agent.token);
    const documents = {
      schema: 'subscription { __schema { types { name } } }',
      two: `subscription { a: jobAdded { id } b: jobAdded { id } }`,
      cycle:
        'subscription { jobAdded { ...A } } fragment A on Job { ticket { jobs { ...B } } } fragment B on Job { ...A }',
      aliases: `subscription { jobAdded { ${Array.from({ length: 200 }, (_, i) => `a${i}: id`).join(' ')} } }`,
      deep: `subscription { jobAdded { ${'ticket { jobs { '.repeat(12)}id${' } }'.repeat(12)} } }`,
    };
    for (const [id, query] of Object.entries(documents))
      raw.send({ id, type: 'subscribe', payload: { query } });
    await waitFor(() => Object.keys(documents).every((id) => raw.of(id).length > 0), 5000, 'every answer');
    for (const id of Object.keys(documents)) {
      const [answer] = raw.of(id);
      expect([id, answer.type]).toEqual([id, 'error']);
      expect(answer.payload[0].extensions.code).toMatch(/GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT/);
      expectNoInternals(answer);
    }
    expect(api.server.services.live.subscriberCount).toBe(0);
  });

  test('bad ids and bad variables answer BAD_USER_INPUT without internals', async () => {
    const raw = await RawSocket.open();
    await raw.acked(agent.token);
    const cases: [string, string, Record<string, unknown>][] = [
      ['letters', TICKET_UPDATED, { id: 'abc' }],
      ['huge', TICKET_UPDATED, { id: '99999999999999999999999' }],
      ['negative', TICKET_UPDATED, { id: '-1' }],
      ['sql', JOB_ADDED, { projectId: "1' OR '1'='1" }],
    ];
    for (const [id, query, variables] of cases)
      raw.send({ id, type: 'subscribe', payload: { query, variables } });
    await waitFor(() => cases.every(([id]) => raw.of(id).length > 0), 5000, 'every answer');
    for (const [id] of cases) {
      const [answer] = raw.of(id);
      // graphql-ws answers a refused variable with "error", a refusal of the subscribe resolver with "next".
      const errors = answer.type === 'error' ? answer.payload : answer.payload.errors;
      expect([id, errors?.[0]?.extensions?.code]).toEqual([
        id,
        expect.stringMatching(/^(BAD_USER_INPUT|NOT_FOUND)$/),
      ]);
      expect(answer.payload.data ?? null).toBeNull();
      expectNoInternals(answer);
    }
    expect(raw.closed).toBeUndefined();
  });

  test('a variable of the wrong type, or a missing one, answers BAD_USER_INPUT as over HTTP, not an internal error', async () => {
    const raw = await RawSocket.open();
    await raw.acked(agent.token);
    // The same variables on a query of the same variable types, over HTTP.
    const TICKET = 'query ($id: ID!) { ticket(id: $id) { id } }';
    const STATS = 'query ($projectId: ID) { stats(projectId: $projectId) { team { userId } } }';
    const cases: [string, string, Record<string, unknown>, string][] = [
      ['object', TICKET_UPDATED, { id: { $gt: 0 } }, TICKET],
      ['missing', TICKET_UPDATED, {}, TICKET],
      ['boolean', JOB_ADDED, { projectId: true }, STATS],
    ];
    for (const [id, query, variables] of cases)
      raw.send({ id, type: 'subscribe', payload: { query, variables } });
    await waitFor(() => cases.every(([id]) => raw.of(id).length > 0), 5000, 'every answer');
    for (const [id, , variables, query] of cases) {
      const [answer] = raw.of(id);
      expect([id, answer.type]).toEqual([id, 'error']);
      const overHttp = await api.gql(query, variables, {
        token: agent.token,
      });
      expect([id, answer.payload[0].extensions]).toEqual([id, overHttp.errors![0].extensions]);
      expect(answer.payload[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(answer.payload[0].message).toBe(overHttp.errors![0].message);
      expectNoInternals(answer);
    }
    expect(raw.closed).toBeUndefined();
    expect(api.server.services.live.subscriberCount).toBe(0);
  });

  test('sockets that never say who they are are closed (4408) and never counted as a user’s', async () => {
    const raws = await Promise.all(Array.from({ length: 30 }, () => RawSocket.open()));
    expect(api.server.live.connections.size).toBe(0);
    await Promise.all(raws.map((raw) => raw.closedBy(8000)));
    expect(raws.every((raw) => raw.closed!.code === 4408)).toBe(true);
  }, 15000);
});

describe('subscriptions: a reader that never reads', () => {
  test('the server holds at most one answer per subscription in its buffer, then closes the socket (1013)', async () => {
    const tickets: string[] = [];
    for (let i = 0; i < 100; i += 1)
      tickets.push(
        await api.createTicket(agent, website, { title: `Flood ${i}`, description: 'x'.repeat(19_000) }),
      );
    const raw = await RawSocket.open();
    await raw.acked(agent.token);
    const heavy = `subscription { jobAdded { ${Array.from({ length: 10 }, (_, i) => `d${i}: ticket { description }`).join(' ')} } }`;
    raw.send({ id: 'heavy', type: 'subscribe', payload: { query: heavy } });
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    // The client stops reading: its kernel buffers fill, then the server's writes wait.
    (raw.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const serverSockets = (api.server.live as unknown as { wss: { clients: Set<WebSocket> } }).wss.clients;
    let mostBuffered = 0;
    const watch = setInterval(() => {
      for (const socket of serverSockets) mostBuffered = Math.max(mostBuffered, socket.bufferedAmount);
    }, 5);
    try {
      for (let round = 0; round < 12; round += 1) {
        await api.ok(
          UPDATE_TICKETS,
          { ids: tickets, input: { status: round % 2 === 0 ? 'IN_PROGRESS' : 'OPEN' } },
          agent.token,
        );
      }
      await api.server.services.live.runOnce();
      await waitFor(
        () => api.server.services.live.subscriberCount === 0,
        10_000,
        'the subscriber to be dropped',
      );
    } finally {
      clearInterval(watch);
    }
    // One event is about 200 KB: the server never held more than two of them for this socket.
    expect(mostBuffered).toBeLessThan(500_000);
    (raw.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await raw.closedBy(10_000)).code).toBe(LIVE_CLOSE.tooSlow);
  }, 60_000);
});

describe('subscriptions: a reader that keeps up', () => {
  test('a burst of 1,200 events committed at once reaches a reading subscriber whole, in order', async () => {
    const tickets: string[] = [];
    for (let i = 0; i < 100; i += 1)
      tickets.push(await api.createTicket(agent, website, { title: `Burst ${i}` }));
    const socket = await open({ token: agent.token });
    const all = socket.subscribe('subscription { jobAdded { id ticket { id } } }');
    await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
    // Twelve bulk edits committed before the feed reads: it catches up in batches, back to back.
    await api.server.services.live.runOnce();
    const priorities = ['LOW', 'HIGH'];
    await Promise.all(
      Array.from({ length: 12 }, (_, round) =>
        api.ok(
          UPDATE_TICKETS,
          { ids: tickets, input: { priority: priorities[round % 2], assigneeId: null } },
          agent.token,
        ),
      ),
    );
    await all.received(1200, 30_000).catch(() => undefined);
    expect(socket.closed).toBeUndefined();
    const ids = all.data.map((d: any) => Number(d.jobAdded.id));
    expect(ids).toHaveLength(new Set(ids).size);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  }, 60_000);
});

describe('subscriptions: a writer that never reads', () => {
  test('pings (or refused subscribes) sent without reading the answers cannot grow the server’s buffer', async () => {
    const raw = await RawSocket.open();
    await raw.acked(alice.token);
    (raw.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    const serverSockets = (api.server.live as unknown as { wss: { clients: Set<WebSocket> } }).wss.clients;
    let mostBuffered = 0;
    const ping = JSON.stringify({ type: 'ping', payload: { pad: 'p'.repeat(4000) } });
    for (let i = 0; i < 20_000 && raw.closed === undefined; i += 1) {
      raw.ws.send(ping);
      if (i % 200 === 0) {
        await new Promise((resolve) => setTimeout(resolve, 1));
        for (const socket of serverSockets) mostBuffered = Math.max(mostBuffered, socket.bufferedAmount);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (const socket of serverSockets) mostBuffered = Math.max(mostBuffered, socket.bufferedAmount);
    // 80 MB of pongs were asked for: the server keeps at most a few MB of them for a reader that does not read.
    expect(mostBuffered).toBeLessThan(8 * 1024 * 1024);
    // Once it reads, it learns why it was dropped.
    (raw.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    expect((await raw.closedBy(10_000)).code).toBe(LIVE_CLOSE.tooSlow);
  }, 60_000);
});

describe('bulk edits', () => {
  test('a USER is refused the same way for tickets that exist and that do not; nothing changes', async () => {
    const before = await api.snapshot();
    const real = await api.gql(
      UPDATE_TICKETS,
      { ids: [bobTicket], input: { status: 'CLOSED' } },
      { token: alice.token },
    );
    const fake = await api.gql(
      UPDATE_TICKETS,
      { ids: ['987654'], input: { status: 'CLOSED' } },
      { token: alice.token },
    );
    expect(errorCodes(real)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(real.errors)).toBe(JSON.stringify(fake.errors));
    expect(await api.snapshot()).toEqual(before);
  });

  test('a READ token of an agent cannot bulk edit', async () => {
    const { createApiToken } = await api.ok<{ createApiToken: { secret: string } }>(
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
      { input: { name: 'reader', scope: 'READ' } },
      agent.token,
    );
    const answer = await api.gql(
      UPDATE_TICKETS,
      { ids: [bobTicket], input: { status: 'CLOSED' } },
      { token: createApiToken.secret },
    );
    expect(errorCodes(answer)).toEqual(['FORBIDDEN']);
  });

  test('101 ids, no ids, bad ids, an unknown one among good ones: refused, nothing written', async () => {
    const before = await api.snapshot();
    const ids101 = Array.from({ length: 101 }, (_, i) => String(i + 1));
    for (const ids of [ids101, [], ['abc'], ['-3'], [aliceTicket, '987654'], ['1e3']]) {
      const answer = await api.gql(
        UPDATE_TICKETS,
        { ids, input: { status: 'CLOSED' } },
        { token: agent.token },
      );
      expect(errorCodes(answer)).toEqual([ids.includes('987654') ? 'NOT_FOUND' : 'BAD_USER_INPUT']);
      expectNoInternals(answer.errors);
    }
    expect(await api.snapshot()).toEqual(before);
  });

  test('the same id 100 times is one change and one job', async () => {
    const ticket = await api.createTicket(alice, website);
    const jobs = async () =>
      Number(
        (
          await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "job" WHERE "ticketId" = ?', [
            Number(ticket),
          ])
        )[0].n,
      );
    const before = await jobs();
    const answer = await api.ok<{ updateTickets: unknown[] }>(
      UPDATE_TICKETS,
      { ids: Array.from({ length: 100 }, () => ticket), input: { priority: 'HIGH' } },
      agent.token,
    );
    expect(answer.updateTickets).toHaveLength(1);
    expect((await jobs()) - before).toBe(1);
  });

  test('assigning to a USER or a deactivated agent is refused; nothing written', async () => {
    const gone = await api.register('gone');
    await api.setRole(admin, gone, 'AGENT');
    await api.ok(
      'mutation ($id: ID!) { setUserDeactivated(userId: $id, deactivated: true) { id } }',
      { id: gone.id },
      admin.token,
    );
    const before = await api.snapshot();
    for (const assignee of [alice, gone]) {
      const answer = await api.gql(
        UPDATE_TICKETS,
        { ids: [aliceTicket, bobTicket], input: { assigneeId: assignee.id } },
        { token: agent.token },
      );
      expect(errorCodes(answer)).toEqual(['BAD_USER_INPUT']);
    }
    const both = await api.gql(
      UPDATE_TICKETS,
      { ids: [aliceTicket], input: { assigneeId: agent.id, unassign: true } },
      { token: agent.token },
    );
    expect(errorCodes(both)).toEqual(['BAD_USER_INPUT']);
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('saved views', () => {
  test('another user’s view answers NOT_FOUND exactly like one that does not exist, to every mutation', async () => {
    const { saveView } = await api.ok<{ saveView: { id: string } }>(
      SAVE_VIEW,
      { input: { name: 'Mine', query: 'is:open' } },
      alice.token,
    );
    const operations: [string, (id: string) => Record<string, unknown>][] = [
      [SAVE_VIEW, (id) => ({ input: { id, name: 'Stolen', query: '' } })],
      ['mutation ($id: ID!) { moveView(id: $id, position: 0) { id } }', (id) => ({ id })],
      ['mutation ($id: ID!) { deleteView(id: $id) }', (id) => ({ id })],
    ];
    for (const [document, variables] of operations) {
      const theirs = await api.gql(document, variables(saveView.id), { token: bob.token });
      const none = await api.gql(document, variables('987654'), { token: bob.token });
      expect(errorCodes(theirs)).toEqual(['NOT_FOUND']);
      expect(theirs.errors![0].message.replace(saveView.id, 'N')).toBe(
        none.errors![0].message.replace('987654', 'N'),
      );
      expect(theirs.errors![0].extensions).toEqual(none.errors![0].extensions);
    }
    const { savedViews } = await api.ok<{ savedViews: { name: string }[] }>(
      '{ savedViews { name } }',
      {},
      alice.token,
    );
    expect(savedViews.map((view) => view.name)).toEqual(['Mine']);
  });

  test('NUL, control characters, 61 characters and a 501-character query are refused; 60 emoji are one name', async () => {
    const erin = await api.register('erin');
    const refused = [
      { name: 'a\u0000b', query: '' },
      { name: 'x'.repeat(61), query: '' },
      { name: 'e\u0301'.repeat(61), query: '' },
      { name: 'ok', query: 'q'.repeat(501) },
      { name: '\u200b\u200b', query: '' },
    ];
    for (const input of refused) {
      const answer = await api.gql(SAVE_VIEW, { input }, { token: erin.token });
      expect([input.name.slice(0, 8), errorCodes(answer)]).toEqual([
        input.name.slice(0, 8),
        ['BAD_USER_INPUT'],
      ]);
    }
    // Invisible characters at the ends are trimmed, as in every name.
    const bell = await api.ok<{ saveView: { name: string } }>(
      SAVE_VIEW,
      { input: { name: 'bell\u0007', query: '' } },
      erin.token,
    );
    expect(bell.saveView.name).toBe('bell');
    await api.ok(
      'mutation ($id: ID!) { deleteView(id: $id) }',
      { id: (bell.saveView as any).id },
      erin.token,
    );
    const emoji = '🎫'.repeat(30);
    const saved = await api.gql(
      SAVE_VIEW,
      { input: { name: emoji, query: 'is:open' } },
      { token: erin.token },
    );
    expect(errorCodes(saved)).toEqual([]);
    const { savedViews } = await api.ok<{ savedViews: { name: string }[] }>(
      '{ savedViews { name } }',
      {},
      erin.token,
    );
    expect(savedViews.map((view) => view.name)).toEqual([emoji]);
  });

  test('ten concurrent saves of one name in different cases make one view, never an error', async () => {
    const frank = await api.register('frank');
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api.gql(
          SAVE_VIEW,
          { input: { name: i % 2 ? 'TRIAGE' : 'triage', query: `n:${i}` } },
          { token: frank.token },
        ),
      ),
    );
    expect(answers.flatMap((answer) => errorCodes(answer))).toEqual([]);
    const rows = await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "saved_view" WHERE "userId" = ?', [
      Number(frank.id),
    ]);
    expect(Number(rows[0].n)).toBe(1);
  });

  test('forty concurrent saves of different names stop at 30', async () => {
    const gina = await api.register('gina');
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        api.gql(SAVE_VIEW, { input: { name: `View ${i}`, query: '' } }, { token: gina.token }),
      ),
    );
    const codes = answers.flatMap((answer) => errorCodes(answer));
    expect(codes.filter((code) => code !== 'BAD_USER_INPUT')).toEqual([]);
    const rows = await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "saved_view" WHERE "userId" = ?', [
      Number(gina.id),
    ]);
    expect(Number(rows[0].n)).toBe(30);
    expect(codes).toHaveLength(10);
  });

  test('a READ token cannot save, move or delete a view', async () => {
    const { createApiToken } = await api.ok<{ createApiToken: { secret: string } }>(
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
      { input: { name: 'reader', scope: 'READ' } },
      alice.token,
    );
    const answer = await api.gql(
      SAVE_VIEW,
      { input: { name: 'By token', query: '' } },
      { token: createApiToken.secret },
    );
    expect(errorCodes(answer)).toEqual(['FORBIDDEN']);
    const listed = await api.gql('{ savedViews { name } }', {}, { token: createApiToken.secret });
    expect(errorCodes(listed)).toEqual([]);
  });
});

describe('Stats.team', () => {
  const TEAM =
    'query ($from: DateTimeISO, $to: DateTimeISO) { stats(from: $from, to: $to) { team { userId username } } }';

  test('a USER, by session or token, gets an empty table; an agent gets the team', async () => {
    const forAlice = await api.ok<{ stats: { team: unknown[] } }>(TEAM, {}, alice.token);
    expect(forAlice.stats.team).toEqual([]);
    const forAgent = await api.ok<{ stats: { team: { username: string }[] } }>(TEAM, {}, agent.token);
    expect(forAgent.stats.team.map((member) => member.username)).toContain(agent.username);
  });

  test('extreme or reversed periods answer BAD_USER_INPUT or figures, never a 500', async () => {
    const periods = [
      { from: '0001-01-01T00:00:00.000Z', to: '9999-12-31T23:59:59.999Z' },
      { from: '2030-01-01T00:00:00.000Z', to: '2020-01-01T00:00:00.000Z' },
      { from: '-271821-04-20T00:00:00.000Z' },
      { to: 'not a date' },
    ];
    for (const period of periods) {
      const answer = await api.gql(TEAM, period, { token: agent.token });
      expect(errorCodes(answer).filter((code) => code !== 'BAD_USER_INPUT')).toEqual([]);
      expectNoInternals(answer.errors ?? []);
    }
  });
});
