import net from 'node:net';
import { CREATE_TICKET, LOGIN, TICKETS } from './support/operations';
import { type RawResponse, TestApi, type TestUser } from './support/test-server';

/*
 * Load shedding (http/load-shedding.ts), with a capacity small enough to overflow from one test: one
 * request at a time and one waiting. What is checked is what a client and a load balancer rely on, never
 * a duration: past capacity the answer is 503 with Retry-After and the contract's error shape, never a
 * 500; /healthz answers meanwhile; an acknowledged write is saved and a refused one changed nothing.
 */

let api: TestApi;
let admin: TestUser;
let projectId: string;

beforeAll(async () => {
  // One place, one waiting: the one waiting may wait out the slow login below (bcrypt runs on a worker
  // thread, so the login holds its place for its whole hash, and the line keeps turning meanwhile).
  api = await TestApi.start({ maxConcurrentRequests: 1, maxQueuedRequests: 1, maxQueueWaitMs: 5000 });
  ({ admin } = await api.registerAdminAndAgent());
  projectId = await api.createProject(admin, 'Crowded');
});
afterAll(() => api.stop());

const BURST = 30;

const createTicket = (title: string) =>
  api.http('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${admin.token}` },
    body: JSON.stringify({
      query: CREATE_TICKET,
      variables: { input: { projectId, title, description: 'Sent with many others at once.' } },
    }),
  });

const expectOverloaded = (response: RawResponse, body: unknown) => {
  expect(response.status).toBe(503);
  expect(response.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.json).toEqual(body);
};

const overloadedExtensions = {
  code: 'INTERNAL_SERVER_ERROR',
  reason: 'OVERLOADED',
  retryAfterSeconds: expect.any(Number),
};

test('a burst past capacity: the excess is refused with 503 and Retry-After, /healthz answers, what was acknowledged is saved', async () => {
  const titles = Array.from({ length: BURST }, (_, n) => `Burst ticket ${n}`);
  // A wrong password is compared as slowly as a right one: this login holds the one place while the
  // burst arrives, however fast each ticket is written.
  const received = new Promise((resolve) => api.server.httpServer.once('request', resolve));
  const slowLogin = api.http('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: LOGIN,
      variables: { input: { login: admin.username, password: 'not the password' } },
    }),
  });
  await received;
  const [answers, health, exported] = await Promise.all([
    Promise.all(titles.map(createTicket)),
    api.http('/healthz'),
    api.http('/api/export', { headers: { authorization: `Bearer ${admin.token}` } }),
  ]);

  expect([200, 503]).toContain((await slowLogin).status);
  expect(answers.map((answer) => answer.status).filter((status) => status !== 200 && status !== 503)).toEqual(
    [],
  );
  const refused = answers.filter((answer) => answer.status === 503);
  const acknowledged = titles.filter((_, n) => answers[n].status === 200);
  expect(refused.length).toBeGreaterThan(0);
  expect(acknowledged.length).toBeGreaterThan(0);
  for (const answer of refused) {
    expectOverloaded(answer, {
      errors: [{ message: expect.stringMatching(/busy/), extensions: overloadedExtensions }],
    });
  }
  for (const n of answers.keys()) {
    if (answers[n].status === 200) expect(answers[n].json.data.createTicket.title).toBe(titles[n]);
  }
  // The health check is never in the line.
  expect(health.status).toBe(200);
  expect(health.json).toEqual({ status: 'ok' });
  // A plain route is in the line too; refused, it answers in the plain routes' error shape.
  if (exported.status !== 200) {
    expectOverloaded(exported, {
      error: { message: expect.stringMatching(/busy/), ...overloadedExtensions },
    });
  }

  // Calm again: every acknowledged ticket is there, and no refused one.
  const { tickets } = await api.ok<{ tickets: { edges: { node: { title: string } }[] } }>(
    TICKETS,
    { filter: { projectId }, first: 100 },
    admin.token,
  );
  const saved = tickets.edges.map((edge) => edge.node.title).filter((title) => titles.includes(title));
  expect(saved.sort()).toEqual([...acknowledged].sort());
});

test('once the burst is over, requests are served again', async () => {
  for (let n = 0; n < 3; n += 1) {
    const answer = await createTicket(`After the burst ${n}`);
    expect(answer.status).toBe(200);
    expect(answer.json.errors).toBeUndefined();
  }
});

/** A raw HTTP/1.1 exchange on its own socket: what was written, and everything answered until `until`. */
function rawSocket(): { socket: net.Socket; received: () => string } {
  const { port } = new URL(api.url);
  const socket = net.connect(Number(port), '127.0.0.1');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  socket.on('error', () => undefined);
  return { socket, received: () => text };
}

test('clients that send their body slowly, or never, hold sockets, not the places where requests run', async () => {
  // Three requests announce a body and send a tenth of it: with one place and one waiting, they would
  // have filled the line.
  const stalled = [0, 1, 2].map(() => {
    const raw = rawSocket();
    raw.socket.write(
      'POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"query":',
    );
    return raw;
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 200));
    const answer = await createTicket('Past the slow uploads');
    expect(answer.status).toBe(200);
    expect(answer.json.data.createTicket.title).toBe('Past the slow uploads');

    // A body that arrives in pieces is read whole by the API once it is complete.
    const slow = rawSocket();
    const body = JSON.stringify({ query: '{ __typename }' });
    slow.socket.write(
      `POST /graphql HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 5)}`,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    slow.socket.end(body.slice(5));
    await new Promise((resolve) => slow.socket.once('close', resolve));
    expect(slow.received()).toMatch(/^HTTP\/1\.1 200/);
    expect(slow.received()).toContain('{"data":{"__typename":"Query"}}');
  } finally {
    for (const raw of stalled) raw.socket.destroy();
  }
});
