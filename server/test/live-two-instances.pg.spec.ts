import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from './support/child-server';
import { LiveClient, type LiveSubscription, waitFor } from './support/live-client';
import { CREATE_PROJECT, LOGIN, REGISTER, SET_ROLE, UPDATE_TICKET } from './support/operations';
import { sqlBeside, testDatabaseFor } from './support/postgres-project';

/**
 * Live updates with two service processes on one PostgreSQL database: an event written through one
 * reaches subscribers on the other (LISTEN/NOTIFY), filtered there; a session ended on one closes the
 * other's sockets; the listening connection comes back after it is cut. *.pg.spec.ts: PostgreSQL only.
 */
jest.setTimeout(60_000);

const PASSWORD = 'signal keeper 1911';
const JOB_ADDED = 'subscription { jobAdded { id comment internal ticket { id } } }';
const folders: string[] = [];
const clients: LiveClient[] = [];
let one: ChildServer;
let two: ChildServer;
let sharedDir: string;
let admin: { id: string; token: string };
let agent: { id: string; token: string };
let user: { id: string; token: string };
let ticketId: string;

async function register(server: ChildServer, username: string): Promise<{ id: string; token: string }> {
  const { register: made } = await server.ok(REGISTER, {
    input: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  return { id: made.user.id as string, token: made.token as string };
}

async function open(server: ChildServer, token: string): Promise<LiveClient> {
  const client = await LiveClient.open(server.url, { token });
  clients.push(client);
  expect(client.connected).toBe(true);
  return client;
}

const comment = (server: ChildServer, token: string, text: string, internal = false) =>
  server.ok(
    UPDATE_TICKET,
    { id: ticketId, input: { comment: text, ...(internal ? { internal } : {}) } },
    token,
  );

/**
 * A subscription is registered on the server a moment after it is sent: comments until every one has
 * received the latest, then forgets them, so each test starts from a known point.
 */
async function untilSubscribed(subscriptions: LiveSubscription[]): Promise<void> {
  for (let attempt = 0; ; attempt += 1) {
    const text = `Warm-up ${attempt}`;
    await comment(one, agent.token, text);
    try {
      await waitFor(
        () => subscriptions.every((s) => s.data.at(-1)?.jobAdded.comment === text),
        1000,
        'the warm-up',
      );
      break;
    } catch (error) {
      if (attempt >= 10) throw error;
    }
  }
  for (const subscription of subscriptions) subscription.results.length = 0;
}

beforeAll(async () => {
  for (let i = 0; i < 3; i += 1) folders.push(fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-live-')));
  sharedDir = folders[2];
  const { databaseUrl, jwtSecret } = await testDatabaseFor(sharedDir);
  const env = { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret };
  one = await ChildServer.start({ dataDir: folders[0], env });
  two = await ChildServer.start({ dataDir: folders[1], env });
  admin = await register(one, 'lead');
  agent = await register(one, 'helper');
  user = await register(two, 'reporter');
  await one.ok(SET_ROLE, { id: agent.id, role: 'AGENT' }, admin.token);
  const { createProject } = await one.ok(CREATE_PROJECT, { input: { name: 'Signals' } }, admin.token);
  const created = await two.createTicket(user.token, createProject.id as string, 'The light is out');
  ticketId = created.data!.createTicket.id as string;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.dispose()));
  await Promise.all([one?.stop(), two?.stop()]);
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

test('a mutation through instance one reaches subscribers on instance two, filtered there, in order', async () => {
  const [userOnTwo, agentOnTwo, agentOnOne] = [
    await open(two, user.token),
    await open(two, agent.token),
    await open(one, agent.token),
  ];
  const forUser = userOnTwo.subscribe(JOB_ADDED);
  const forAgent = agentOnTwo.subscribe(JOB_ADDED);
  const local = agentOnOne.subscribe(JOB_ADDED);
  await untilSubscribed([forUser, forAgent, local]);

  const startedAt = Date.now();
  await comment(one, agent.token, 'Checked the bulb', true);
  await comment(one, agent.token, 'A technician comes tomorrow');
  await forAgent.received(2);
  await forUser.received(1);
  // Well under the 5 s poll: a notification woke instance two.
  expect(Date.now() - startedAt).toBeLessThan(2000);
  await local.received(2);
  const texts = (s: typeof forUser) => s.data.map((d) => d.jobAdded.comment);
  expect(texts(forAgent)).toEqual(['Checked the bulb', 'A technician comes tomorrow']);
  expect(texts(local)).toEqual(texts(forAgent));
  expect(forAgent.data.map((d) => d.jobAdded.id)).toEqual(local.data.map((d) => d.jobAdded.id));
  // The user's next event proves nothing else was on its way to them.
  await comment(two, user.token, 'Thank you');
  await forUser.received(2);
  expect(texts(forUser)).toEqual(['A technician comes tomorrow', 'Thank you']);
  expect(forUser.data.every((d) => d.jobAdded.internal === false)).toBe(true);
});

test('a logout on instance one closes the session’s socket on instance two within the re-check period', async () => {
  const { login } = await one.ok(LOGIN, { input: { login: 'reporter', password: PASSWORD } });
  const socket = await open(two, login.token as string);
  const startedAt = Date.now();
  await one.ok('mutation { logout }', {}, login.token as string);
  expect(await socket.closedBy(15_000)).toEqual({ code: 4403, reason: 'Session ended: sign in again.' });
  expect(Date.now() - startedAt).toBeLessThan(12_000);
});

test('after a logout on instance one, instance two sends that session no event, before it closes it', async () => {
  const { login } = await one.ok(LOGIN, { input: { login: 'reporter', password: PASSWORD } });
  const socket = await open(two, login.token as string);
  const subscription = socket.subscribe(JOB_ADDED);
  await untilSubscribed([subscription]);
  await one.ok('mutation { logout }', {}, login.token as string);
  await comment(one, agent.token, 'After the logout');
  expect(await socket.closedBy(15_000)).toEqual({ code: 4403, reason: 'Session ended: sign in again.' });
  expect(subscription.data).toEqual([]);
});

test('the listening connection comes back after PostgreSQL cuts it', async () => {
  const listeners = async () =>
    (
      await sqlBeside<{ n: number }>(
        sharedDir,
        `SELECT COUNT(*)::int AS n FROM pg_stat_activity WHERE application_name = 'simple-ticketing-live'`,
      )
    ).rows[0].n;
  expect(await listeners()).toBe(2);
  await sqlBeside(
    sharedDir,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'simple-ticketing-live'`,
  );
  const deadline = Date.now() + 10_000;
  while ((await listeners()) < 2) {
    if (Date.now() > deadline) throw new Error('the listeners did not come back');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const socket = await open(two, agent.token);
  const subscription = socket.subscribe(JOB_ADDED);
  await untilSubscribed([subscription]);
  await comment(one, agent.token, 'After the cut');
  await waitFor(() => subscription.results.length === 1, 2000, 'the event through the new listener');
  expect(subscription.data[0].jobAdded.comment).toBe('After the cut');
});
