import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from '../support/child-server';
import { LOGIN } from '../support/operations';
import { testOnSqlite } from '../support/postgres-project';

/**
 * What an operator meets when starting and stopping the service: an impatient second signal, a port
 * that is taken, a token secret damaged by a crash. Each ends with a clear exit code and message.
 */
let folder: string;
beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-start-stop-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

test('a second SIGTERM during the graceful stop does not cut it short: the request finishes, exit 0', async () => {
  const server = await ChildServer.start({ dataDir: path.join(folder, 'twice') });
  await server.adminAndProject();
  // A login spends ~200 ms in bcrypt: still in flight when the signals arrive.
  const inFlight = server.gql(LOGIN, { input: { login: 'keeper', password: 'lighthouse keeper 1907' } });
  await new Promise((resolve) => setTimeout(resolve, 30));
  server.kill('SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 20));
  server.kill('SIGTERM');
  expect(await server.exitWithin(5000)).toEqual({ code: 0, signal: null });
  expect((await inFlight).data?.login.token).toEqual(expect.any(String));
  expect(fs.existsSync(path.join(folder, 'twice', 'ticketing.sqlite-wal'))).toBe(false);
}, 20_000);

test.each([
  ['PORT', 'port'],
  ['HEALTH_PORT', 'health-port'],
])(
  'a %s already in use: exit 2 naming the port and what to do, the database closed',
  async (setting, name) => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const dataDir = path.join(folder, name);
      const server = await ChildServer.spawn({ dataDir, env: { [setting]: String(port) } });
      expect(await server.exitWithin(10_000)).toEqual({ code: 2, signal: null });
      expect(server.stderr).toContain(
        `cannot listen on 127.0.0.1:${port} (${setting}): the port is already in use. Stop what uses it, or set another ${setting}.`,
      );
      expect(server.stderr).not.toMatch(/\n\s+at /);
      expect(fs.existsSync(path.join(dataDir, 'ticketing.sqlite-wal'))).toBe(false);
    } finally {
      blocker.close();
    }
  },
  20_000,
);

test('a HOST that cannot be listened on (a link-local IPv6 address without its zone): exit 2 saying what to do', async () => {
  const server = await ChildServer.spawn({ dataDir: path.join(folder, 'host'), env: { HOST: 'fe80::1' } });
  expect(await server.exitWithin(10_000)).toEqual({ code: 2, signal: null });
  // EINVAL where the machine has IPv6, EADDRNOTAVAIL or EAFNOSUPPORT where it has not: each says what to do.
  expect(server.stderr).toMatch(/HOST is not an address to listen on here|this machine has no such address/);
  expect(server.stderr).not.toMatch(/\n\s+at /);
}, 20_000);

// The generated jwt-secret file: PostgreSQL requires JWT_SECRET instead (shared by the instances of one database).
testOnSqlite(
  'a token secret emptied by a crash: exit 2 with what to do, never a service where every login fails',
  async () => {
    const dataDir = path.join(folder, 'secret');
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'jwt-secret'), '', { mode: 0o600 });
    const server = await ChildServer.spawn({ dataDir });
    expect(await server.exitWithin(10_000)).toEqual({ code: 2, signal: null });
    expect(server.stderr).toMatch(/jwt-secret is empty or shorter than 32 characters/);
  },
  20_000,
);
