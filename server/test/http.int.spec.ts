import { leakedInternals } from './support/assertions';
import { LOGIN, ME } from './support/operations';
import { TestApi, type TestUser } from './support/test-server';
import { loseDatabase } from './support/database-loss';

let api: TestApi;
let admin: TestUser;

beforeAll(async () => {
  api = await TestApi.start();
  admin = await api.register('admin');
});
afterAll(() => api.stop());

describe('GET /healthz', () => {
  test('answers {status: "ok"} as JSON once the database answers', async () => {
    const response = await api.http('/healthz');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.json).toEqual({ status: 'ok' });
  });
});

describe('security headers', () => {
  test.each(['/healthz', '/graphql'])(
    '%s carries a strict Content-Security-Policy and the usual hardening headers',
    async (path) => {
      const response =
        path === '/graphql'
          ? await api.http(path, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: ME }),
            })
          : await api.http(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      const directives = Object.fromEntries(
        csp.split(';').map((part) => {
          const [name, ...values] = part.trim().split(/\s+/);
          return [name, values];
        }),
      );
      expect(directives['default-src']).toEqual(["'self'"]);
      expect(directives['script-src']).toBeDefined();
      expect(directives['script-src']).not.toContain("'unsafe-inline'");
      expect(directives['script-src']).not.toContain("'unsafe-eval'");
      expect(directives['object-src']).toEqual(["'none'"]);
      expect(directives['frame-ancestors']).toEqual(["'none'"]);
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('x-powered-by')).toBeNull();
    },
  );

  test('API answers are never cached; HSTS only over HTTPS (here through a trusted proxy)', async () => {
    const query = {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: ME }),
    };
    const plain = await api.http('/graphql', query);
    expect(plain.headers.get('cache-control')).toBe('no-store');
    expect(plain.headers.get('strict-transport-security')).toBeNull();
    const proxied = await TestApi.start({ trustProxy: true });
    try {
      const secure = await proxied.http('/graphql', {
        ...query,
        headers: { ...query.headers, 'x-forwarded-proto': 'https' },
      });
      expect(secure.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    } finally {
      await proxied.stop();
    }
  });
});

describe('session cookie', () => {
  test('login sets an httpOnly, SameSite=Strict st_session cookie that authenticates on its own, and logout clears it', async () => {
    const login = await api.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: LOGIN,
        variables: { input: { login: admin.username, password: admin.password } },
      }),
    });
    expect(login.status).toBe(200);
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^st_session=[^;]+/);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Strict/i);
    expect(setCookie).toMatch(/Path=\//i);
    const cookie = setCookie.split(';')[0];
    expect(cookie).toBe(`st_session=${login.json.data.login.token}`);

    const me = await api.gql<{ me: { id: string } | null }>(ME, {}, { headers: { cookie } });
    expect(me.data?.me?.id).toBe(admin.id);

    const logout = await api.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie },
      body: JSON.stringify({ query: 'mutation { logout }' }),
    });
    expect(logout.json).toEqual({ data: { logout: true } });
    expect(logout.headers.get('set-cookie')).toMatch(/^st_session=;.*Expires=Thu, 01 Jan 1970/i);

    // The cookie's token itself is revoked, not just forgotten by the browser.
    const after = await api.gql<{ me: unknown }>(ME, {}, { headers: { cookie } });
    expect(after.data?.me).toBeNull();
  });
});

describe('unknown addresses', () => {
  test('an unknown path answers 404 without internals', async () => {
    const response = await api.http('/api/nope', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(404);
    expect(leakedInternals(response.text)).toEqual([]);
  });
});

describe('internal failures', () => {
  test('answer INTERNAL_SERVER_ERROR with a plain message: no SQL, stack trace or file path', async () => {
    const broken = await TestApi.start({}, { captureLogs: true });
    try {
      const owner = await broken.register('owner');
      await broken.createProject(owner, 'Doomed');
      // Simulate a database fault the code does not expect.
      await broken.server.services.database.dataSource.query(
        'ALTER TABLE "project" RENAME TO "project_moved"',
      );
      const response = await broken.http('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
        body: JSON.stringify({ query: '{ projects { id name } }' }),
      });
      expect(response.status).toBeLessThan(600);
      expect(response.json.errors).toEqual([
        expect.objectContaining({
          message: 'Internal server error.',
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      ]);
      expect(response.text).not.toMatch(/project_moved|no such table|does not exist/i);
      expect(leakedInternals(response.text)).toEqual([]);
      // The details are not lost: they go to the server's log for the operator.
      expect(broken.logs).toContainEqual(
        expect.objectContaining({
          msg: 'unexpected error',
          err: expect.objectContaining({ message: expect.stringMatching(/no such table|does not exist/) }),
        }),
      );
    } finally {
      await broken.stop();
    }
  });

  test('/healthz answers 503 once the database is gone', async () => {
    const broken = await TestApi.start();
    try {
      await loseDatabase(broken);
      const response = await broken.http('/healthz');
      expect(response.status).toBe(503);
      expect(response.json).toEqual({
        status: 'unavailable',
        reason: 'database',
        detail: expect.any(String),
      });
    } finally {
      await broken.stop();
    }
  });
});

describe('GET /graphql from a browser', () => {
  test("opens the app's playground, not Apollo's landing page with its version and CDN", async () => {
    const response = await api.http('/graphql', { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/playground');
    expect(response.text).not.toMatch(/apollo|cdn\.|fonts\./i);
  });

  test('a GET without html in Accept gets a GraphQL answer, not a page', async () => {
    const response = await api.http('/graphql', { headers: { accept: 'application/json' } });
    expect(response.status).toBe(400);
    expect(response.text).not.toMatch(/<html|apollo-server-landing|cdn\./i);
  });
});
