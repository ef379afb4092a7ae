import { CREATE_TICKET, TICKETS } from './support/operations';
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
  const [answers, health, exported] = await Promise.all([
    Promise.all(titles.map(createTicket)),
    api.http('/healthz'),
    api.http('/api/export', { headers: { authorization: `Bearer ${admin.token}` } }),
  ]);

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
