import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from './support/child-server';
import { LOGIN, REGISTER, SET_ROLE } from './support/operations';
import { testDatabaseFor } from './support/postgres-project';

/**
 * Each instance believes a checked session for a moment (auth/session-cache.ts, SESSION_CACHE_MS): a
 * change made through another instance must still apply there at once, told by a PostgreSQL
 * notification. Here the cache is a minute long, so only the notification can explain a prompt refusal.
 * *.pg.spec.ts: PostgreSQL only.
 */
jest.setTimeout(60_000);

const PASSWORD = 'harbour pilot 1904';
const folders: string[] = [];
let one: ChildServer;
let two: ChildServer;
let admin: { id: string; token: string };

async function register(server: ChildServer, username: string): Promise<{ id: string; token: string }> {
  const { register: made } = await server.ok(REGISTER, {
    input: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  return { id: made.user.id as string, token: made.token as string };
}

/** Asks until the answer is what is wanted, for at most `withinMs`; how long it took. */
async function until(ask: () => Promise<boolean>, withinMs: number): Promise<number> {
  const startedAt = Date.now();
  for (;;) {
    if (await ask()) return Date.now() - startedAt;
    if (Date.now() - startedAt > withinMs) throw new Error(`not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

beforeAll(async () => {
  for (let i = 0; i < 3; i += 1) folders.push(fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-sessions-')));
  const { databaseUrl, jwtSecret } = await testDatabaseFor(folders[2]);
  const env = { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, SESSION_CACHE_MS: '60000' };
  one = await ChildServer.start({ dataDir: folders[0], env });
  two = await ChildServer.start({ dataDir: folders[1], env });
  admin = await register(one, 'harbourmaster');
});

afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

const roleOn = async (server: ChildServer, token: string) =>
  ((await server.gql('{ me { role } }', {}, token)).data?.me as { role: string } | null)?.role ?? null;

test('a logout through instance one ends the session on instance two at once', async () => {
  const { login } = await one.ok(LOGIN, { input: { login: 'harbourmaster', password: PASSWORD } });
  const token = login.token as string;
  // Believed on instance two (read twice: the second answer comes from its cache).
  expect(await roleOn(two, token)).toBe('ADMIN');
  expect(await roleOn(two, token)).toBe('ADMIN');
  await one.ok('mutation { logout }', {}, token);
  const tookMs = await until(async () => (await roleOn(two, token)) === null, 5_000);
  expect(tookMs).toBeLessThan(2_000);
});

test('a role changed through instance one applies on instance two at once', async () => {
  const pilot = await register(two, 'pilot');
  expect(await roleOn(two, pilot.token)).toBe('USER');
  expect(await roleOn(two, pilot.token)).toBe('USER');
  await one.ok(SET_ROLE, { id: pilot.id, role: 'AGENT' }, admin.token);
  expect(await until(async () => (await roleOn(two, pilot.token)) === 'AGENT', 5_000)).toBeLessThan(2_000);
  await one.ok(SET_ROLE, { id: pilot.id, role: 'USER' }, admin.token);
  expect(await until(async () => (await roleOn(two, pilot.token)) === 'USER', 5_000)).toBeLessThan(2_000);
});

test('a password changed through instance one ends the other sessions on instance two', async () => {
  const sailor = await register(one, 'sailor');
  const { login } = await two.ok(LOGIN, { input: { login: 'sailor', password: PASSWORD } });
  const other = login.token as string;
  expect(await roleOn(two, other)).toBe('USER');
  await one.ok(
    'mutation ($input: UpdateMeInput!) { updateMe(input: $input) { id } }',
    { input: { currentPassword: PASSWORD, newPassword: 'a brand new harbour 2026' } },
    sailor.token,
  );
  expect(await until(async () => (await roleOn(two, other)) === null, 5_000)).toBeLessThan(2_000);
});
