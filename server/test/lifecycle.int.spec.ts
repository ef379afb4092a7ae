import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer } from '../src/app';
import { asyncContextIsCheap } from '../src/database/query-counter';
import { migrations as sqliteMigrations, postgresMigrations } from '../src/migrations';
import { onPostgres, testDatabaseFor, testOnSqlite } from './support/postgres-project';
import type { LogLine } from './support/test-server';

/** Start, restart and stop on one data folder: what an operator relies on between deployments. */
let dataDir: string;
const logs: LogLine[] = [];

const start = async () =>
  startServer(
    {
      port: 0,
      host: '127.0.0.1',
      dataDir,
      ...(await testDatabaseFor(dataDir)),
      logLevel: 'info',
      nodeEnv: 'production',
      clientDir: dataDir,
    },
    { logDestination: { write: (line: string) => void logs.push(JSON.parse(line)) } },
  );

async function gql(server: RunningServer, query: string, variables: object = {}, token?: string) {
  const response = await fetch(`${server.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

const REGISTER =
  'mutation Register($input: RegisterInput!) { register(input: $input) { token user { id } } }';
const LOGIN = 'mutation LogIn($input: LoginInput!) { login(input: $input) { token } }';
const password = 'lighthouse keeper 1907';

beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-lifecycle-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

testOnSqlite(
  'the SQLite file is opened with WAL, synchronous=FULL, foreign keys and a busy timeout',
  async () => {
    const server = await start();
    try {
      const pragma = async (name: string) =>
        Object.values((await server.services.database.dataSource.query(`PRAGMA ${name}`))[0])[0];
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2);
      expect(await pragma('foreign_keys')).toBe(1);
      expect(await pragma('busy_timeout')).toBe(5000);
      expect(fs.existsSync(path.join(dataDir, 'ticketing.sqlite'))).toBe(true);
      expect(fs.statSync(path.join(dataDir, 'jwt-secret')).mode & 0o777).toBe(0o600);
    } finally {
      await server.close();
    }
  },
);

test('data, migrations and the generated secret survive a restart: an earlier token still works', async () => {
  const first = await start();
  const registered = await gql(first, REGISTER, {
    input: { username: 'keeper', email: 'keeper@example.com', password },
  });
  const token = registered.body.data.register.token;
  await first.close();

  const second = await start();
  try {
    const me = await gql(second, '{ me { username role } }', {}, token);
    expect(me.body.data.me).toEqual({ username: 'keeper', role: 'ADMIN' });
    const migrations = await second.services.database.dataSource.query(
      'SELECT name FROM "migrations" ORDER BY id',
    );
    // One migration set per database kind: each ran whole, in order.
    expect(migrations.map((row: { name: string }) => row.name)).toEqual(
      (onPostgres ? postgresMigrations : sqliteMigrations).map(
        (Migration) => new Migration().name ?? Migration.name,
      ),
    );
  } finally {
    await second.close();
  }
});

test('close() lets a request in flight finish, then refuses new connections', async () => {
  const server = await start();
  // A login takes a bcrypt comparison (~200 ms): long enough to still be running when close() starts.
  const received = new Promise((resolve) => server.httpServer.once('request', resolve));
  const inFlight = gql(server, LOGIN, { input: { login: 'keeper', password } });
  // Once the service has the request (a connection accepted but not yet read is closed by the drain,
  // as a proxy's graceful stop does), and while its password is still being compared.
  await received;
  await new Promise((resolve) => setTimeout(resolve, 30));
  await server.close();
  const finished = await inFlight;
  expect(finished.status).toBe(200);
  expect(finished.body.data.login.token).toEqual(expect.any(String));
  await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
});

test('one log line per request: operation, duration, status, SQL count where it is free; never a password or a token', async () => {
  const server = await start();
  logs.length = 0;
  try {
    const { body } = await gql(server, LOGIN, { input: { login: 'keeper', password } });
    await gql(server, LOGIN, { input: { login: 'keeper', password: 'wrong password here' } });
    await gql(server, '{ me { id } }', {}, body.data.login.token);
    const lines = logs.filter((line) => line.msg === 'graphql');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatchObject({ operation: 'LogIn', status: 200, ms: expect.any(Number) });
    // In production at LOG_LEVEL=info the count is kept only where AsyncLocalStorage is free (Node.js 24+).
    if (asyncContextIsCheap()) expect(lines[0].sql).toEqual(expect.any(Number));
    else expect(lines[0]).not.toHaveProperty('sql');
    expect(lines[1]).toMatchObject({ operation: 'LogIn', errors: ['BAD_USER_INPUT'] });
    const everything = JSON.stringify(logs);
    expect(everything).not.toContain(password);
    expect(everything).not.toContain('wrong password here');
    expect(everything).not.toContain(body.data.login.token);
  } finally {
    await server.close();
  }
});
