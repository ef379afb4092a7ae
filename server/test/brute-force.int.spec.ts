import { throttleKey } from '../src/auth/login-throttle';
import { SqliteRateLimitStore } from '../src/limits/sqlite-rate-limit-store';
import { REGISTER } from './support/operations';
import { TestApi, errorCodes, type TestUser } from './support/test-server';

const WINDOW_SECONDS = 15 * 60;

describe('failed logins on one account', () => {
  let api: TestApi;
  let admin: TestUser;

  beforeAll(async () => {
    api = await TestApi.start();
    admin = await api.register('admin');
  });
  afterAll(() => api.stop());

  /** Counts wrong passwords through the service's throttle, without the bcrypt comparison of a real one. */
  async function seedFailures(victim: TestUser, count: number): Promise<void> {
    for (let i = 0; i < count; i += 1) {
      await api.server.services.loginThrottle.attempt(throttleKey(victim.username), async () => false);
    }
  }

  function expectRateLimited(result: Awaited<ReturnType<TestApi['gql']>>, index = 0) {
    const error = result.errors![index];
    expect(error.extensions?.code).toBe('RATE_LIMITED');
    expect(error.extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(error.extensions?.retryAfterSeconds).toBeLessThanOrEqual(WINDOW_SECONDS);
  }

  test('after 10 failures within 15 minutes, even the right password answers RATE_LIMITED; other accounts are unaffected', async () => {
    const victim = await api.register('victim');
    const bystander = await api.register('bystander');
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect(errorCodes(await api.login(victim.username, `wrong guess ${attempt}`))).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
    const right = await api.login(victim.username, victim.password);
    expectRateLimited(right);
    expect(right.data ?? null).toBeNull();
    // In any case and with spaces around: the limit is on the login as typed.
    expectRateLimited(await api.login(` ${victim.username.toUpperCase()} `, victim.password));

    expect((await api.login(bystander.username, bystander.password)).errors).toBeUndefined();
    expect((await api.login(admin.email, admin.password)).errors).toBeUndefined();
    // Tokens issued before the lock still work: the lock is on logging in, not on the account.
    expect((await api.gql('{ me { id } }', {}, { token: victim.token })).data?.me).toEqual({ id: victim.id });
  }, 20_000);

  test('a login that matches no account locks the same way: the 11th attempt answers alike, so a lock reveals nothing', async () => {
    const real = await api.register('real');
    const tenFailures = async (login: string) => {
      for (let attempt = 1; attempt <= 10; attempt += 1) {
        expect(errorCodes(await api.login(login, `wrong guess ${attempt}`))).toEqual(['BAD_USER_INPUT']);
      }
    };
    await Promise.all([tenFailures(real.username), tenFailures('nobody-at-all')]);

    const [onReal, onUnknown] = await Promise.all([
      api.login(real.username, 'eleventh guess'),
      api.login('nobody-at-all', 'eleventh guess'),
    ]);
    expectRateLimited(onReal);
    expectRateLimited(onUnknown);
    const shape = (result: Awaited<ReturnType<TestApi['gql']>>) => ({
      status: result.status,
      data: result.data ?? null,
      message: result.errors![0].message,
      extensions: Object.keys(result.errors![0].extensions!).sort(),
    });
    expect(shape(onUnknown)).toEqual(shape(onReal));
    const retry = (result: Awaited<ReturnType<TestApi['gql']>>) =>
      Number(result.errors![0].extensions!.retryAfterSeconds);
    // The two series ran side by side: their locks end within a second of each other.
    expect(Math.abs(retry(onUnknown) - retry(onReal))).toBeLessThanOrEqual(1);
    // Like a username, the unknown login is the same whatever its case.
    expectRateLimited(await api.login('NOBODY-AT-ALL', 'twelfth guess'));
  }, 20_000);

  test("a lock on a username says nothing of that account's email: a wrong password there answers like an unknown email", async () => {
    const victim = await api.register('linked');
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      expect(errorCodes(await api.login(victim.username, `wrong guess ${attempt}`))).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
    expectRateLimited(await api.login(victim.username, 'one more guess'));

    const [byEmail, byUnknownEmail] = await Promise.all([
      api.login(victim.email, 'wrong guess by email'),
      api.login('nobody-linked@example.com', 'wrong guess by email'),
    ]);
    expect(errorCodes(byEmail)).toEqual(['BAD_USER_INPUT']);
    expect(byEmail.errors![0]).toEqual(byUnknownEmail.errors![0]);
    // The email has its own count: the right password signs in by email while the username is locked.
    expect((await api.login(victim.email, victim.password)).errors).toBeUndefined();
    expectRateLimited(await api.login(victim.username, victim.password));
  }, 20_000);

  test('aliased login mutations cannot get around it: at most 10 wrong passwords are ever checked (7 already made)', async () => {
    const victim = await api.register('aliased');
    await seedFailures(victim, 7);
    // 12 attempts per document, the last one with the right password, sent until the account locks.
    const fields = Array.from({ length: 12 }, (_, i) => {
      const password = i === 11 ? victim.password : `wrong guess ${i}`;
      return `a${i}: login(input: {login: ${JSON.stringify(victim.username)}, password: ${JSON.stringify(password)}}) { token }`;
    });
    const document = `mutation { ${fields.join('\n')} }`;
    const seen: string[] = [];
    for (let round = 0; round < 11 && !seen.includes('RATE_LIMITED'); round += 1) {
      const result = await api.gql(document);
      expect(JSON.stringify(result.data ?? null)).not.toContain('token');
      seen.push(...errorCodes(result));
    }
    expect(seen.filter((code) => code === 'BAD_USER_INPUT')).toHaveLength(3);
    expect(seen).toContain('RATE_LIMITED');
    expectRateLimited(await api.login(victim.username, victim.password));
  });

  test('parallel requests cannot overshoot the limit (7 failures already made)', async () => {
    const victim = await api.register('parallel');
    await seedFailures(victim, 7);
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => api.login(victim.username, `parallel guess ${i}`)),
    );
    const codes = results.map((result) => errorCodes(result)[0]).sort();
    expect(codes).toEqual([...Array(3).fill('BAD_USER_INPUT'), ...Array(5).fill('RATE_LIMITED')]);
    expectRateLimited(await api.login(victim.username, victim.password));
  });

  test('a batched request (JSON array body) is refused before any attempt is made', async () => {
    const victim = await api.register('batched');
    const before = await api.snapshot();
    const attempt = (password: string) => ({
      query: 'mutation ($input: LoginInput!) { login(input: $input) { token } }',
      variables: { input: { login: victim.username, password } },
    });
    const response = await api.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([attempt('guess one'), attempt('guess two'), attempt(victim.password)]),
    });
    expect(response.status).toBe(400);
    expect(response.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(response.text).not.toContain('token');
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('failed logins while the rate limit store cannot write', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start();
    await api.register('admin');
  });
  afterAll(() => api.stop());

  /** SQL on the store's table: the limits file's own connection on SQLite, the database on PostgreSQL. */
  async function onStore(sql: string): Promise<Record<string, unknown>[]> {
    const limits = api.server.services.limits;
    if (!(limits instanceof SqliteRateLimitStore)) return api.server.services.database.dataSource.query(sql);
    const statement = limits.connection!.prepare(sql);
    if (statement.reader) return statement.all() as Record<string, unknown>[];
    statement.run();
    return [];
  }

  /** The failures the store holds for a login (the library's row: its points). */
  const savedFailures = async (login: string): Promise<number> =>
    Number(
      (
        await onStore(
          `SELECT COALESCE(SUM(points), 0) AS n FROM rate_limit WHERE key = 'login-failures:${throttleKey(login)}'`,
        )
      )[0].n,
    );

  test('a wrong password answers BAD_USER_INPUT though its failure is not saved; the 11th attempt is RATE_LIMITED', async () => {
    const victim = await api.register('unsaved');
    const other = await api.register('later');
    // The store's table out of reach stands for a store that cannot write (full disk, lost connection).
    await onStore('ALTER TABLE rate_limit RENAME TO rate_limit_away');
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const result = await api.login(victim.username, `wrong guess ${attempt}`);
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].message).toBe('Invalid login or password.');
    }
    const right = await api.login(victim.username, victim.password);
    expect(errorCodes(right)).toEqual(['RATE_LIMITED']);
    expect(right.data ?? null).toBeNull();
    expect(errorCodes(await api.login(victim.username, 'eleventh guess'))).toEqual(['RATE_LIMITED']);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect(errorCodes(await api.login(other.username, `unsaved guess ${attempt}`))).toEqual([
        'BAD_USER_INPUT',
      ]);
    }

    // The store again: new failures are saved there, and those counted in memory meanwhile still count.
    await onStore('ALTER TABLE rate_limit_away RENAME TO rate_limit');
    expect(await savedFailures(victim.username)).toBe(0);
    expect(errorCodes(await api.login(other.username, 'guess with a store'))).toEqual(['BAD_USER_INPUT']);
    expect(await savedFailures(other.username)).toBe(1);
    // 3 in memory, 1 saved, 6 more: the lock comes at 10, as if all had been saved.
    for (let i = 0; i < 6; i += 1) {
      await api.server.services.loginThrottle.attempt(throttleKey(other.username), async () => false);
    }
    expect(errorCodes(await api.login(other.username, other.password))).toEqual(['RATE_LIMITED']);
    expect(errorCodes(await api.login(victim.username, victim.password))).toEqual(['RATE_LIMITED']);
  }, 20_000);
});

describe('registration per client address', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start({ registrationsPerHour: 3 });
  });
  afterAll(() => api.stop());

  const register = (name: string) =>
    api.gql(REGISTER, {
      input: { username: name, email: `${name}@example.com`, password: `passphrase of ${name}` },
    });

  test('parallel registrations cannot get past the hourly limit', async () => {
    const results = await Promise.all(['reg1', 'reg2', 'reg3', 'reg4', 'reg5'].map(register));
    const codes = results.map((result) => errorCodes(result)[0] ?? 'OK').sort();
    expect(codes).toEqual(['OK', 'OK', 'OK', 'RATE_LIMITED', 'RATE_LIMITED']);
    expect((await api.snapshot()).user).toBe(3);
    // On an empty database, parallel sign-ups still make exactly one of them ADMIN.
    const roles = await api.server.services.database.dataSource.query(`SELECT "role" FROM "user"`);
    expect(roles.map((row: { role: string }) => row.role).sort()).toEqual(['ADMIN', 'USER', 'USER']);
  });

  test('once the limit is reached, registering answers RATE_LIMITED with retryAfterSeconds and creates nothing', async () => {
    const before = await api.snapshot();
    const result = await register('reg6');
    expect(errorCodes(result)).toEqual(['RATE_LIMITED']);
    expect(result.errors![0].extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(result.errors![0].extensions?.retryAfterSeconds).toBeLessThanOrEqual(3600);
    expect(await api.snapshot()).toEqual(before);
  });

  test('a forged X-Forwarded-For header does not make a new client address', async () => {
    const result = await api.gql(
      REGISTER,
      { input: { username: 'spoofer', email: 'spoofer@example.com', password: 'passphrase of spoofer' } },
      { headers: { 'x-forwarded-for': '203.0.113.7' } },
    );
    expect(errorCodes(result)).toEqual(['RATE_LIMITED']);
  });
});
