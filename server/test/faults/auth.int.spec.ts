import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOGIN, ME, REGISTER } from '../support/operations';
import { describeOnSqlite } from '../support/postgres-project';
import { TestApi, errorCodes, type GraphQLResponse } from '../support/test-server';

/**
 * Findings 2, 5 and 7 (the cookie) of the fault issue, as an attacker would try them: a token that
 * outlives its database, a failed-login limit raced by parallel requests, a client-written
 * X-Forwarded-For, and a session cookie that is not valid percent-encoding.
 */

const PROTECTED = '{ tickets { totalCount } }';

/** A refused token: anonymous for `me`, UNAUTHENTICATED with the reason for a field that needs a user. */
async function expectRefused(api: TestApi, token: string, reason: RegExp): Promise<void> {
  const me = await api.gql<{ me: { id: string } | null }>(ME, {}, { token });
  expect(me.errors).toBeUndefined();
  expect(me.data!.me).toBeNull();
  const result = await api.gql(PROTECTED, {}, { token });
  expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
  expect(result.errors![0].message).toMatch(reason);
}

// Deletes and copies back the SQLite file itself (the database, and a backup of it as a file).
describeOnSqlite('finding 2: a token never outlives its database', () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-fault-auth-'));
  });
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  test('database deleted under a live token (jwt-secret kept): the old token is not the next ADMIN', async () => {
    const before = await TestApi.start({ dataDir });
    const oldAdmin = await before.register('founder');
    expect((await before.ok(PROTECTED, {}, oldAdmin.token)).tickets).toEqual({ totalCount: 0 });
    await before.stop();

    for (const file of ['ticketing.sqlite', 'ticketing.sqlite-wal', 'ticketing.sqlite-shm']) {
      fs.rmSync(path.join(dataDir, file), { force: true });
    }
    expect(fs.existsSync(path.join(dataDir, 'jwt-secret'))).toBe(true);

    const after = await TestApi.start({ dataDir });
    try {
      const newcomer = await after.register('newcomer');
      const me = await after.ok<{ me: { id: string; role: string } }>(ME, {}, newcomer.token);
      // The situation of the finding: the same id, as ADMIN, signed with the same secret.
      expect(me.me).toMatchObject({ id: oldAdmin.id, role: 'ADMIN' });

      await expectRefused(after, oldAdmin.token, /session has ended/);
      expect(errorCodes(await after.gql('{ users { email } }', {}, { token: oldAdmin.token }))).toEqual([
        'UNAUTHENTICATED',
      ]);

      // A token of the old shape (no instance id), signed with the server's own secret, is refused too.
      const secret = fs.readFileSync(path.join(dataDir, 'jwt-secret'), 'utf8').trim();
      const withoutInstance = after.signToken(
        { sub: newcomer.id, jti: 'a'.repeat(32), sv: 0 },
        { expiresIn: 3600 },
        secret,
      );
      await expectRefused(after, withoutInstance, /not valid/);
    } finally {
      await after.stop();
    }
  });

  test('a restored backup: a token of an account made after the backup is not the next account with its id', async () => {
    const backupDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-fault-backup-'));
    const file = path.join(dataDir, 'ticketing.sqlite');
    const restoreBackup = () => {
      for (const suffix of ['-wal', '-shm']) fs.rmSync(`${file}${suffix}`, { force: true });
      fs.copyFileSync(path.join(backupDir, 'ticketing.sqlite'), file);
    };
    try {
      const first = await TestApi.start({ dataDir });
      const keeper = await first.register('keeper');
      await first.stop();
      // stop() checkpoints the WAL: the main file alone is a complete backup.
      fs.copyFileSync(file, path.join(backupDir, 'ticketing.sqlite'));

      const second = await TestApi.start({ dataDir });
      const carol = await second.register('carol');
      await second.stop();

      restoreBackup();
      const third = await TestApi.start({ dataDir });
      try {
        const mallory = await third.register('mallory');
        expect(mallory.id).toBe(carol.id);
        await expectRefused(third, carol.token, /session has ended/);
        // Accounts that are in the backup keep their sessions.
        expect((await third.ok(ME, {}, keeper.token)).me).toMatchObject({ id: keeper.id });
      } finally {
        await third.stop();
      }
    } finally {
      fs.rmSync(backupDir, { recursive: true, force: true });
    }
  });
});

describe('finding 5: per-address limits that races or headers get around', () => {
  test('parallel wrong logins from one address: no more get checked than the limit', async () => {
    // A small limit (default: 100 per 15 minutes) keeps the bcrypt work of this test short.
    const limit = 3;
    const api = await TestApi.start({ failedLoginsPerAddress: limit });
    try {
      const known = await Promise.all([api.register('known'), api.register('known')]);
      // Right passwords give their slot back: more successes than the limit still all pass.
      for (let i = 0; i <= limit; i += 1) {
        const who = known[i % known.length];
        expect((await api.login(who.username, who.password)).errors).toBeUndefined();
      }

      // Distinct logins (real and unknown), so no per-account lock puts them in line.
      const attempts = Array.from({ length: limit + 20 }, (_, i) =>
        i < known.length
          ? api.login(known[i].username, `wrong guess ${i}`)
          : api.login(`ghost-${i}`, `wrong guess ${i}`),
      );
      const results = await Promise.all(attempts);
      const codes = results.map((result) => errorCodes(result)[0]);
      expect(codes.filter((code) => code === 'BAD_USER_INPUT')).toHaveLength(limit);
      expect(codes.filter((code) => code === 'RATE_LIMITED')).toHaveLength(20);
      for (const result of results.filter((r) => errorCodes(r)[0] === 'RATE_LIMITED')) {
        expect(result.errors![0].message).toMatch(/from your address/);
        expect(result.errors![0].extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      }
      // Once the address used its allowance, even a right password waits.
      expect(errorCodes(await api.login(known[0].username, known[0].password))).toEqual(['RATE_LIMITED']);
    } finally {
      await api.stop();
    }
  }, 20_000);

  // The test plays the proxy's part: it appends the address it saw (198.51.100.9) after what the
  // client wrote, as nginx's $proxy_add_x_forwarded_for does.
  test.each([
    ['TRUST_PROXY=true (one proxy)', true],
    ["the proxy's address", ['127.0.0.1']],
  ] as const)(
    'behind a trusted proxy (%s), a client rotating the left-most X-Forwarded-For is still one address',
    async (_name, trustProxy) => {
      const api = await TestApi.start({
        trustProxy: typeof trustProxy === 'boolean' ? trustProxy : [...trustProxy],
        registrationsPerHour: 3,
      });
      try {
        const register = (name: string, forwardedFor: string): Promise<GraphQLResponse> =>
          api.gql(
            REGISTER,
            { input: { username: name, email: `${name}@example.com`, password: `passphrase of ${name}` } },
            { headers: { 'x-forwarded-for': forwardedFor } },
          );
        const codes: string[] = [];
        for (let i = 1; i <= 5; i += 1) {
          const result = await register(`rotating${i}`, `203.0.113.${i}, 198.51.100.9`);
          codes.push(errorCodes(result)[0] ?? 'OK');
        }
        expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
        // Control: the header is read; another client behind the same proxy has its own allowance.
        expect((await register('neighbour', '203.0.113.1, 198.51.100.10')).errors).toBeUndefined();
      } finally {
        await api.stop();
      }
    },
    20_000,
  );
});

describe('finding 7: a session cookie that is not valid percent-encoding', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start({}, { captureLogs: true });
  });
  afterAll(() => api.stop());

  test.each(['%', '%E0%A4%A', 'abc%zz'])(
    'st_session=%s reads as an invalid token: 200, anonymous, UNAUTHENTICATED where a user is needed',
    async (value) => {
      const post = (query: string) =>
        api.http('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', cookie: `st_session=${value}` },
          body: JSON.stringify({ query }),
        });
      const logged = api.requestLogs().length;
      const me = await post(ME);
      expect(me.status).toBe(200);
      expect(me.json.errors).toBeUndefined();
      expect(me.json.data.me).toBeNull();
      const protectedField = await post(PROTECTED);
      expect(protectedField.status).toBe(200);
      expect(
        protectedField.json.errors.map((e: { extensions: { code: string } }) => e.extensions.code),
      ).toEqual(['UNAUTHENTICATED']);
      expect(protectedField.json.errors[0].message).toMatch(/not valid/);
      // Logged like any request (the 500 it used to give left no log line).
      expect(api.requestLogs().length).toBe(logged + 2);
    },
  );

  test('a quoted session cookie (st_session="<token>", allowed by RFC 6265) signs in like the bare one', async () => {
    const user = await api.register('quoted');
    const me = await api.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: `theme=dark; st_session="${user.token}"` },
      body: JSON.stringify({ query: ME }),
    });
    expect(me.json.errors).toBeUndefined();
    expect(me.json.data.me).toMatchObject({ id: user.id });
  });

  test('a login still works with a broken cookie beside it', async () => {
    const user = await api.register('cookie');
    const result = await api.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'st_session=%' },
      body: JSON.stringify({
        query: LOGIN,
        variables: { input: { login: user.username, password: user.password } },
      }),
    });
    expect(result.json.errors).toBeUndefined();
    expect(result.json.data.login.user.id).toBe(user.id);
  });
});
