import { LOGIN, ME, TICKET } from './support/operations';
import { type RawResponse, TestApi, type TestUser } from './support/test-server';

/*
 * A document Apollo has validated is answered, from its next request on, by the fast path
 * (http/graphql-fast-path.ts), without Express or Apollo's HTTP layer. Each case here sends the same
 * request twice: the first through Apollo, the second through the fast path, and the two answers must
 * be the same (status, headers, body), whatever the outcome. Requests the fast path must leave to
 * Apollo are checked to go there.
 */

let api: TestApi;
let admin: TestUser;
let reporter: TestUser;
let other: TestUser;
let ticketId: string;

beforeAll(async () => {
  api = await TestApi.start({}, { captureLogs: true });
  ({ admin } = await api.registerAdminAndAgent());
  reporter = await api.register('reporter');
  other = await api.register('other');
  const projectId = await api.createProject(admin);
  ticketId = await api.createTicket(reporter, projectId, { title: 'Export fails on big files' });
});

afterAll(async () => {
  await api?.stop();
});

interface Send {
  body: string;
  headers?: Record<string, string>;
}

const send = ({ body, headers = {} }: Send) =>
  api.http('/graphql', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

const request = (
  body: Record<string, unknown>,
  token?: string,
  headers: Record<string, string> = {},
): Send => ({
  body: JSON.stringify(body),
  headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
});

/** Headers that differ between any two answers (the date) or that only Express adds (its ETag). */
const VARYING = new Set(['date', 'etag', 'set-cookie']);

function headersOf(response: RawResponse): Record<string, string> {
  return Object.fromEntries([...response.headers.entries()].filter(([name]) => !VARYING.has(name)));
}

/** The request twice (with a unique document, so the first is the document's first): Apollo, then the fast path. */
async function twice(make: (unique: string) => Send): Promise<{ first: RawResponse; second: RawResponse }> {
  const unique = `q${Math.random().toString(36).slice(2)}`;
  const counter = api.server.fastPath.answered;
  const before = counter.count;
  const first = await send(make(unique));
  expect(counter.count).toBe(before);
  const second = await send(make(unique));
  expect(counter.count).toBe(before + 1);
  return { first, second };
}

function expectSame({ first, second }: { first: RawResponse; second: RawResponse }): void {
  expect(second.status).toBe(first.status);
  expect(headersOf(second)).toEqual(headersOf(first));
  expect(second.text).toBe(first.text);
}

/** A document named after the case, so that it is new to the server. */
const named = (unique: string, document: string) => document.replace(/^(query|mutation)\b/, `$1 ${unique}`);

test('an answer with data: the same status, headers and body, and no ETag', async () => {
  const runs = await twice((unique) =>
    request({ query: named(unique, `query { me { id username role } }`) }, admin.token),
  );
  expectSame(runs);
  expect(runs.second.status).toBe(200);
  expect(runs.second.headers.get('etag')).toBeNull();
  expect(runs.second.headers.get('cache-control')).toBe('no-store');
  expect(runs.second.headers.get('content-security-policy')).toContain("default-src 'self'");
  expect(runs.second.text.endsWith('}\n')).toBe(true);
});

test('a ticket with its jobs and a domain error (NOT_FOUND) answer the same', async () => {
  expectSame(
    await twice((unique) =>
      request({ query: named(unique, TICKET), variables: { id: ticketId } }, reporter.token),
    ),
  );
  const notFound = await twice((unique) =>
    request({ query: named(unique, TICKET), variables: { id: ticketId } }, other.token),
  );
  expectSame(notFound);
  expect(notFound.second.json.errors[0].extensions.code).toBe('NOT_FOUND');
});

test('a variable that does not coerce, or is missing, is refused with 400 as by Apollo', async () => {
  const document = `query ($id: ID!) { ticket(id: $id) { id } }`;
  const wrong = await twice((unique) =>
    request({ query: named(unique, document), variables: { id: { a: 1 } } }, admin.token),
  );
  expectSame(wrong);
  expect(wrong.second.status).toBe(400);
  expect(wrong.second.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  const missing = await twice((unique) =>
    request({ query: named(unique, document), variables: {} }, admin.token),
  );
  expectSame(missing);
  expect(missing.second.status).toBe(400);
  const enumValue = await twice((unique) =>
    request(
      {
        query: named(
          unique,
          `query ($s: [TicketStatus!]) { tickets(first: 1, filter: { status: $s }) { totalCount } }`,
        ),
        variables: { s: ['OPN'] },
      },
      admin.token,
    ),
  );
  expectSame(enumValue);
  expect(enumValue.second.text).not.toMatch(/Did you mean/);
});

test('a bad, forged or ended token is refused with 401 before anything runs', async () => {
  const forged = api.signToken({ sub: admin.id, jti: 'x', sv: 0 }, {}, 'another-secret-0123456789abcdef');
  for (const token of ['not-a-token', forged]) {
    const runs = await twice((unique) => request({ query: named(unique, `query { me { id } }`) }, token));
    expectSame(runs);
  }
  const session = await api.register('leaving');
  await api.ok('mutation { logout }', {}, session.token);
  const ended = await twice((unique) =>
    request({ query: named(unique, `query { me { id } }`) }, session.token),
  );
  expectSame(ended);
  expect(ended.second.json.data.me).toBeNull();
});

test('API tokens: a READ token refused a mutation (403) and the cost of each answer', async () => {
  const created = await api.ok<{ createApiToken: { secret: string } }>(
    `mutation { createApiToken(input: { name: "reader", scope: READ }) { secret } }`,
    {},
    admin.token,
  );
  const token = created.createApiToken.secret;
  const read = await twice((unique) => request({ query: named(unique, `query { me { id } }`) }, token));
  expect(read.second.status).toBe(200);
  // The budget was spent once more: the same answer but for what is left.
  expect(read.second.json.extensions.cost.requested).toBe(read.first.json.extensions.cost.requested);
  expect(read.second.json.extensions.cost.remaining).toBeLessThan(read.first.json.extensions.cost.remaining);
  const write = await twice((unique) =>
    request({ query: named(unique, `mutation { updateMe(input: { locale: FR }) { id } }`) }, token),
  );
  expect(write.second.status).toBe(403);
  expect(headersOf(write.second)).toEqual(headersOf(write.first));
  expect(write.second.json.errors).toEqual(write.first.json.errors);
});

test('text holding U+0000 is refused as bad input naming the field', async () => {
  const runs = await twice((unique) =>
    request(
      {
        query: named(unique, `mutation ($input: UpdateMeInput!) { updateMe(input: $input) { id } }`),
        variables: { input: { email: 'a\u0000@example.com', currentPassword: 'x' } },
      },
      reporter.token,
    ),
  );
  expectSame(runs);
  expect(runs.second.status).toBe(400);
});

test('login sets the same session cookie, and the answer type follows Accept', async () => {
  const login = (unique: string) =>
    request(
      {
        query: named(unique, LOGIN),
        variables: { input: { login: reporter.username, password: reporter.password } },
      },
      undefined,
      { accept: 'application/graphql-response+json, application/json' },
    );
  const runs = await twice(login);
  expect(runs.second.status).toBe(200);
  expect(runs.second.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
  expect(headersOf(runs.second)).toEqual(headersOf(runs.first));
  const attributes = (response: RawResponse) =>
    response.headers
      .get('set-cookie')!
      .replace(/=[^;]+;/, '=…;')
      // Whole seconds: two logins may fall on either side of one.
      .replace(/Expires=[^;]+/, 'Expires=…');
  expect(attributes(runs.second)).toBe(attributes(runs.first));
  expect(attributes(runs.second)).toBe('st_session=…; Path=/; Expires=…; HttpOnly; SameSite=Strict');
});

test('the request log has one line per request, the same on both paths', async () => {
  const unique = 'LoggedTwice';
  const body = request({ query: `query ${unique} { me { id } }` }, admin.token);
  await send(body);
  await send(body);
  const lines = api.requestLogs().filter((line) => line.operation === unique);
  expect(lines).toHaveLength(2);
  for (const line of lines)
    expect(line).toMatchObject({ status: 200, user: Number(admin.id), sql: expect.any(Number) });
  expect(lines[1].sql).toBe(lines[0].sql);
});

test('left to Apollo: an unacceptable Accept, extensions, a subscription, another operation name, a batch', async () => {
  const counter = api.server.fastPath.answered;
  const me = { query: 'query LeftToApollo { me { id } }' };
  await send(request(me, admin.token));
  const before = counter.count;
  const html = await send(request(me, admin.token, { accept: 'text/html' }));
  expect(html.status).toBe(406);
  const withExtensions = await send(
    request({ ...me, extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } }, admin.token),
  );
  expect(withExtensions.status).toBe(400);
  const otherName = await send(request({ ...me, operationName: 'Other' }, admin.token));
  expect(otherName.status).toBe(400);
  const batch = await send(request([me, me] as unknown as Record<string, unknown>, admin.token));
  expect(batch.status).toBe(400);
  const subscription = {
    query: `subscription Live($id: ID!) { ticketUpdated(id: $id) { id } }`,
    variables: { id: ticketId },
  };
  for (let i = 0; i < 2; i += 1) {
    const refused = await send(request(subscription, admin.token));
    expect(refused.status).toBe(400);
  }
  const variablesAsList = await send(request({ ...me, variables: [1] }, admin.token));
  expect(variablesAsList.status).toBe(400);
  expect(counter.count).toBe(before);
});

test('a body that is not JSON, not an object, or larger than the limit is refused as before', async () => {
  const security = (response: RawResponse) => {
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
  };
  const expected = {
    errors: [{ message: 'The request body is not valid JSON.', extensions: { code: 'BAD_USER_INPUT' } }],
  };
  for (const body of ['{"query": ', '"{ me { id } }"', '42']) {
    const answer = await send({ body });
    expect(answer.status).toBe(400);
    expect(answer.json).toEqual(expected);
    security(answer);
  }
  const large = await send({ body: JSON.stringify({ query: `{ me { id } }`, pad: 'x'.repeat(110 * 1024) }) });
  expect(large.status).toBe(413);
  expect(large.json.errors[0].message).toBe('The request body is larger than 100 kB.');
  security(large);
  // A byte order mark before the JSON is read, as express.json reads it.
  const known = JSON.stringify({ query: ME });
  await send({ body: known, headers: { authorization: `Bearer ${admin.token}` } });
  const bom = await send({ body: `\ufeff${known}`, headers: { authorization: `Bearer ${admin.token}` } });
  expect(bom.status).toBe(200);
  expect(bom.json.data.me.id).toBe(admin.id);
});

test('behind a trusted proxy, a query answered by the fast path says HTTPS as Express does (HSTS)', async () => {
  const proxied = await TestApi.start({ trustProxy: true });
  const untrusted = await TestApi.start({ trustProxy: false });
  try {
    for (const [server, hsts] of [
      [proxied, true],
      [untrusted, false],
    ] as const) {
      const unique = `q${Math.random().toString(36).slice(2)}`;
      const ask = () =>
        server.http('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https, http' },
          body: JSON.stringify({ query: `query ${unique} { me { id } }` }),
        });
      const counter = server.server.fastPath.answered;
      const first = await ask();
      expect(counter.count).toBe(0);
      const second = await ask();
      expect(counter.count).toBe(1);
      expect(headersOf(second)).toEqual(headersOf(first));
      expect(second.headers.get('strict-transport-security') !== null).toBe(hsts);
      // The session cookie is Secure on both paths exactly when the request came over HTTPS.
      const person = await server.register(`p${unique}`);
      const signIn = () =>
        server.http('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
          body: JSON.stringify({
            query: named(unique, LOGIN),
            variables: { input: { login: person.username, password: person.password } },
          }),
        });
      const signedIn = [await signIn(), await signIn()];
      for (const answer of signedIn) {
        expect(answer.status).toBe(200);
        expect(/; Secure(;|$)/.test(answer.headers.get('set-cookie')!)).toBe(hsts);
      }
      expect(counter.count).toBe(2);
      // Signing out clears the cookie alike on both paths: empty, expired in 1970, the same attributes.
      const cleared: string[] = [];
      for (const answer of signedIn) {
        const cookie = answer.headers.get('set-cookie')!.split(';')[0];
        const out = await server.http('/graphql', {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https', cookie },
          body: JSON.stringify({ query: `mutation ${unique}Out { logout }` }),
        });
        expect(out.status).toBe(200);
        cleared.push(out.headers.get('set-cookie')!);
      }
      expect(counter.count).toBe(3);
      expect(cleared[1]).toBe(cleared[0]);
      expect(cleared[0]).toBe(
        `st_session=; Path=/; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly${hsts ? '; Secure' : ''}; SameSite=Strict`,
      );
    }
  } finally {
    await proxied.stop();
    await untrusted.stop();
  }
});

test('a left-out non-null variable with a default, and variables named like Object’s own, answer as the first time', async () => {
  for (const document of [
    'query ($n: Int! = 3) { tickets(first: $n) { totalCount } }',
    'query ($constructor: ID, $toString: Boolean) { tickets(filter: { projectId: $constructor, open: $toString }) { totalCount } }',
  ]) {
    const runs = await twice((unique) =>
      request({ query: named(unique, document), variables: {} }, admin.token),
    );
    expectSame(runs);
    expect(runs.second.status).toBe(200);
    expect(runs.second.json.errors).toBeUndefined();
  }
});
