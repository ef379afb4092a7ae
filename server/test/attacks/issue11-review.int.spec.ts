import net from 'node:net';
import zlib from 'node:zlib';
import { ManualClock } from '../../src/clock';
import { Role } from '../../src/users/role';
import { User } from '../../src/users/user.entity';
import { LOGIN, ME, SET_ROLE, UPDATE_ME } from '../support/operations';
import { type RawResponse, TestApi, type TestUser } from '../support/test-server';

/**
 * A review of issue 11 as an attacker: the GraphQL fast path (http/graphql-fast-path.ts) against Apollo
 * over real HTTP (each case sent twice: Apollo first, the fast path second), exotic HTTP framing on raw
 * sockets, and the session cache (auth/session-cache.ts) against every way a session can end or its
 * user change, on both databases. A probe that found nothing stays as a regression test.
 */
let api: TestApi;
let admin: TestUser;
let alice: TestUser;

beforeAll(async () => {
  api = await TestApi.start({ apiTokenBudget: 1_000 }, { captureLogs: true });
  ({ admin } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
});

afterAll(async () => {
  await api?.stop();
});

const VARYING = new Set(['date', 'etag', 'set-cookie', 'keep-alive', 'connection']);
const headersOf = (response: RawResponse) =>
  Object.fromEntries([...response.headers.entries()].filter(([name]) => !VARYING.has(name)));

/** The points left change with every request an API token makes: the rest of the answer must not. */
const sameText = (text: string) =>
  text.replace(/"remaining":\d+/g, '"remaining":…').replace(/"resetAt":"[^"]+"/g, '"resetAt":…');

function expectSame(first: RawResponse, second: RawResponse): void {
  expect({ status: second.status, headers: headersOf(second), text: sameText(second.text) }).toEqual({
    status: first.status,
    headers: headersOf(first),
    text: sameText(first.text),
  });
}

const post = (body: string, headers: Record<string, string> = {}, path = '/graphql') =>
  api.http(path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

const bearer = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });
const unique = () => `q${Math.random().toString(36).slice(2)}`;
const fast = () => api.server.fastPath.answered.count;

/** Sends the same request twice: the first must go to Apollo, the second to the fast path; same answer. */
async function twice(body: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const before = fast();
  const first = await post(body, headers);
  expect(fast()).toBe(before);
  const second = await post(body, headers);
  expect(fast()).toBe(before + 1);
  expectSame(first, second);
  return second;
}

/** A request the fast path must leave to Apollo even for a known document: answered as by Apollo. */
async function leftToApollo(
  known: string,
  send: () => Promise<RawResponse>,
  expected?: (answer: RawResponse) => void,
): Promise<RawResponse> {
  await post(known, bearer(alice));
  const before = fast();
  const answer = await send();
  expect(fast()).toBe(before);
  expected?.(answer);
  return answer;
}

/** Raw bytes on one socket; resolves with everything the server wrote once it closes or idles. */
function rawExchange(bytes: string | Buffer, { idleMs = 400, end = false } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const url = new URL(api.url);
    const socket = net.connect(Number(url.port), url.hostname);
    let received = '';
    let timer: NodeJS.Timeout | undefined;
    const idle = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        socket.destroy();
        resolve(received);
      }, idleMs);
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('utf8');
      idle();
    });
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(received);
    });
    socket.write(bytes, () => {
      if (end) socket.end();
      idle();
    });
  });
}

function requestBytes(body: string, extra: string[] = [], target = '/graphql'): string {
  return [
    `POST ${target} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extra,
    '',
    body,
  ].join('\r\n');
}

describe('the fast path answers as Apollo does', () => {
  test('operationName "" on a document known without a name is refused as Apollo refuses it', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    // Known without an operation name.
    await twice(JSON.stringify({ query }), bearer(alice));
    const before = fast();
    const empty = await post(JSON.stringify({ query, operationName: '' }), bearer(alice));
    const fresh = `query { me { id } }`.replace('me', `${unique()}: me`);
    const apollo = await post(JSON.stringify({ query: fresh, operationName: '' }), bearer(alice));
    expect(fast()).toBe(before);
    expect(empty.status).toBe(apollo.status);
    expect(empty.json.errors?.[0]?.message).toBe(apollo.json.errors?.[0]?.message);
  });

  test('operationName null, duplicate keys, __proto__ and constructor keys answer the same', async () => {
    const query = `query { me { id username } }`.replace('me', `${unique()}: me`);
    await twice(JSON.stringify({ query, operationName: null }), bearer(alice));
    // The last of duplicate keys wins in both (JSON.parse).
    const duplicate = `{"query":"{ nothing }","query":${JSON.stringify(query)}}`;
    const answer = await post(duplicate, bearer(alice));
    expect(answer.status).toBe(200);
    expect(JSON.stringify(answer.json.data)).toContain(alice.username);
    const withProto =
      `query ($s: String) { tickets(first: 1, filter: { search: $s }) { totalCount } }`.replace(
        'tickets',
        `${unique()}: tickets`,
      );
    const proto = await twice(
      `{"query":${JSON.stringify(withProto)},"variables":{"__proto__":{"s":"x"},"constructor":{"prototype":{"polluted":1}},"s":"login"},"__proto__":{"query":"{ __typename }"}}`,
      bearer(alice),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(proto.status).toBe(200);
  });

  test('content types: charset=latin1, upper case, a list, none; gzip; chunked; text/plain (CSRF)', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    const body = JSON.stringify({ query });
    await twice(body, bearer(alice));
    // Upper case is still JSON: the fast path, same answer.
    const upper = await post(body, { ...bearer(alice), 'content-type': 'APPLICATION/JSON' });
    expect(upper.status).toBe(200);
    for (const contentType of [
      'application/json;charset=latin1',
      'application/json, text/plain',
      'text/plain',
    ]) {
      await leftToApollo(
        body,
        () => post(body, { ...bearer(alice), 'content-type': contentType }),
        (answer) => expect(answer.status).toBeGreaterThanOrEqual(400),
      );
    }
    // A cross-site form (text/plain) never runs the operation: Apollo's CSRF prevention.
    const form = await leftToApollo(body, () =>
      api.http('/graphql', { method: 'POST', headers: { 'content-type': 'text/plain' }, body }),
    );
    expect(form.status).toBe(400);
    const none = await leftToApollo(body, () => api.http('/graphql', { method: 'POST', body }));
    expect(none.status).toBe(400);
    const gzipped = await leftToApollo(body, () =>
      api.http('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', ...bearer(alice) },
        body: zlib.gzipSync(body) as unknown as string,
      }),
    );
    expect(gzipped.status).toBe(200);
    const before = fast();
    const chunked = await rawExchange(
      [
        'POST /graphql HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        'Transfer-Encoding: chunked',
        `Authorization: Bearer ${alice.token}`,
        'Connection: close',
        '',
        `${Buffer.byteLength(body).toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      ].join('\r\n'),
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 200/);
    expect(fast()).toBe(before);
  });

  test('a body of exactly 100 kB is read, one byte more is refused with 413 on both paths', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    const base = JSON.stringify({ query });
    const padded = (size: number) => `${base.slice(0, -1)}${' '.repeat(size - base.length)}}`;
    await twice(base, bearer(alice));
    const before = fast();
    const exact = await post(padded(100 * 1024), bearer(alice));
    expect(exact.status).toBe(200);
    expect(fast()).toBe(before + 1);
    const over = await post(padded(100 * 1024 + 1), bearer(alice));
    expect(over.status).toBe(413);
    expect(over.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(fast()).toBe(before + 1);
  });

  test('variables as a string, query not a string, extensions {} and an array body: as Apollo', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    await twice(JSON.stringify({ query }), bearer(alice));
    const asString = await leftToApollo(JSON.stringify({ query }), () =>
      post(JSON.stringify({ query, variables: '{}' }), bearer(alice)),
    );
    expect(asString.status).toBe(400);
    const notString = await leftToApollo(JSON.stringify({ query }), () =>
      post(JSON.stringify({ query: { kind: 'Document' } }), bearer(alice)),
    );
    expect(notString.status).toBe(400);
    const extensions = await leftToApollo(JSON.stringify({ query }), () =>
      post(JSON.stringify({ query, extensions: {} }), bearer(alice)),
    );
    expect(extensions.status).toBe(200);
    const array = await leftToApollo(JSON.stringify({ query }), () =>
      post(JSON.stringify([{ query }]), bearer(alice)),
    );
    expect(array.status).toBe(400);
    const number = await leftToApollo(JSON.stringify({ query }), () =>
      post(JSON.stringify({ query, operationName: 5 }), bearer(alice)),
    );
    expect(number.status).toBe(400);
  });

  test('variables nested 40,000 deep are refused the same way, and the server stays up', async () => {
    const query =
      `query ($ids: [TicketStatus!]) { tickets(first: 1, filter: { status: $ids }) { totalCount } }`.replace(
        'tickets',
        `${unique()}: tickets`,
      );
    const deep = `${'['.repeat(40_000)}"OPEN"${']'.repeat(40_000)}`;
    const body = `{"query":${JSON.stringify(query)},"variables":{"ids":${deep}}}`;
    const answer = await twice(body, bearer(alice));
    expect(answer.status).toBeLessThan(500);
    const objects = `{"query":${JSON.stringify(query.replace('query', `query ${unique()}`))},"variables":{"ids":${'{"a":'.repeat(16_000)}1${'}'.repeat(16_000)}}}`;
    const second = await twice(objects, bearer(alice));
    expect(second.status).toBeLessThan(500);
    expect((await post(JSON.stringify({ query: ME }), bearer(alice))).status).toBe(200);
  });

  test('long documents are remembered within a memory budget, not only a count', async () => {
    // Anonymous, 60 documents of 99 kB (a comment is no token): without a budget, 60 of 500 places and
    // 12 MB held; 500 of them held over 100 MB of heap (measured), where Apollo's own store keeps 30 MiB.
    const pad = `#${'x'.repeat(99_000)}\n`;
    const documents = Array.from({ length: 60 }, () => `${pad}query ${unique()} { __typename }`);
    for (const query of documents) expect((await post(JSON.stringify({ query }))).status).toBe(200);
    const before = fast();
    expect((await post(JSON.stringify({ query: documents[59] }))).status).toBe(200);
    expect(fast()).toBe(before + 1);
    // The oldest was forgotten to stay within the budget: Apollo answers it again, the same way.
    expect((await post(JSON.stringify({ query: documents[0] }))).status).toBe(200);
    expect(fast()).toBe(before + 1);
  });

  test('a byte order mark, bytes that are not UTF-8 and Expect: 100-continue answer the same', async () => {
    const query = `query ($s: String) { tickets(first: 1, filter: { search: $s }) { totalCount } }`.replace(
      'tickets',
      `${unique()}: tickets`,
    );
    const body = JSON.stringify({ query, variables: { s: 'caf\u00e9' } });
    await twice(body, bearer(alice));
    const head = (length: number, extra: string[] = []) =>
      [
        'POST /graphql HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        `Authorization: Bearer ${alice.token}`,
        `Content-Length: ${length}`,
        'Connection: close',
        ...extra,
        '',
        '',
      ].join('\r\n');
    const bodyOf = (answer: string) => answer.slice(answer.indexOf('\r\n\r\n') + 4);
    const before = fast();
    // Through the fast path (known) and through Apollo (a fresh name): the same answers.
    for (const text of [`\ufeff${body}`, body.replace('caf\u00e9', 'caf\\u00e9')]) {
      const fresh = query.replace('query', `query ${unique()}`);
      const bytes = Buffer.from(text);
      const known = await rawExchange(Buffer.concat([Buffer.from(head(bytes.length)), bytes]));
      const other = Buffer.from(
        text.replace(query, fresh).replace(JSON.stringify(query), JSON.stringify(fresh)),
      );
      const apollo = await rawExchange(Buffer.concat([Buffer.from(head(other.length)), other]));
      expect(known).toMatch(/^HTTP\/1\.1 200/);
      expect(bodyOf(known).replace(/"q\w+"/, '"…"')).toBe(bodyOf(apollo).replace(/"q\w+"/, '"…"'));
    }
    // Bytes that are not UTF-8 in a string: replaced by U+FFFD on both paths alike.
    const invalid = Buffer.concat([
      Buffer.from(body.slice(0, body.indexOf('caf') + 3)),
      Buffer.from([0xc3, 0x28]),
      Buffer.from(body.slice(body.indexOf('caf') + 4)),
    ]);
    const knownInvalid = await rawExchange(Buffer.concat([Buffer.from(head(invalid.length)), invalid]));
    expect(knownInvalid).toMatch(/^HTTP\/1\.1 200/);
    // Expect: 100-continue: the body follows the interim answer.
    const continued = await new Promise<string>((resolve, reject) => {
      const url = new URL(api.url);
      const socket = net.connect(Number(url.port), url.hostname);
      let received = '';
      let sent = false;
      socket.on('error', reject);
      socket.on('data', (chunk) => {
        received += chunk.toString();
        if (received.startsWith('HTTP/1.1 100') && !received.includes('\r\n\r\nHTTP/1.1 200')) {
          // Not end(): a client that half-closes has its request aborted by Node (any path).
          if (!sent && received.endsWith('\r\n\r\n')) {
            sent = true;
            socket.write(body);
          }
        }
      });
      socket.on('close', () => resolve(received));
      socket.write(head(Buffer.byteLength(body), ['Expect: 100-continue']));
    });
    expect(continued).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    expect(fast()).toBe(before + 4);
  });

  test('a subscription over POST is never remembered: Apollo refuses it each time', async () => {
    const query = `subscription { ${unique()}: jobAdded { id } }`;
    const before = fast();
    const first = await post(JSON.stringify({ query }), bearer(alice));
    const second = await post(JSON.stringify({ query }), bearer(alice));
    expect(fast()).toBe(before);
    expect(first.status).toBeGreaterThanOrEqual(400);
    expectSame(first, second);
  });

  test('a document known under one operation name, sent with another, goes to Apollo', async () => {
    const name = unique();
    const query = `query ${name}A { me { id } } query ${name}B { me { username } }`;
    await twice(JSON.stringify({ query, operationName: `${name}A` }), bearer(alice));
    const before = fast();
    const other = await post(JSON.stringify({ query, operationName: `${name}B` }), bearer(alice));
    expect(fast()).toBe(before);
    expect(other.json.data.me.username).toBe(alice.username);
    const missing = await post(JSON.stringify({ query }), bearer(alice));
    expect(missing.status).toBe(400);
    expect(fast()).toBe(before);
  });

  test('Accept headers: JSON types, q=0, garbage', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    const body = JSON.stringify({ query });
    for (const accept of [
      'application/graphql-response+json',
      'application/json;q=0.5, application/graphql-response+json',
      '*/*',
      'text/html, */*;q=0.1',
    ]) {
      const fresh = JSON.stringify({ query: query.replace('query {', `query ${unique()} {`) });
      const answer = await twice(fresh, { ...bearer(alice), accept });
      expect(answer.status).toBe(200);
    }
    for (const accept of [
      '*/*;q=0',
      'application/graphql-response+json;q=0, application/json;q=0',
      'garbage',
    ]) {
      const refused = await leftToApollo(body, () => post(body, { ...bearer(alice), accept }));
      expect(refused.status).toBe(406);
    }
  });

  test('the request log line is the same on both paths', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    await twice(JSON.stringify({ query }), bearer(alice));
    const [first, second] = api.requestLogs().slice(-2);
    const strip = (line: Record<string, unknown>) => {
      const rest = { ...line };
      // sql: the first may read the session, the second find it in the session cache.
      for (const varying of ['time', 'ms', 'reqId', 'pid', 'hostname', 'sql']) delete rest[varying];
      return rest;
    };
    expect(strip(second)).toEqual(strip(first));
    expect(second.user).toBe(Number(alice.id));
    // A refusal before execution (401) and a domain error are logged alike too.
    const refused = `query { me { id } }`.replace('me', `${unique()}: me`);
    await twice(JSON.stringify({ query: refused }), { authorization: `Bearer st_${'A'.repeat(40)}` });
    const [firstRefused, secondRefused] = api.requestLogs().slice(-2);
    expect(strip(secondRefused)).toEqual(strip(firstRefused));
    expect(secondRefused.status).toBeGreaterThanOrEqual(400);
    const missing = `mutation ($id: ID!) { updateTicket(id: $id, input: { comment: "x" }) { id } }`.replace(
      'updateTicket',
      `${unique()}: updateTicket`,
    );
    await twice(JSON.stringify({ query: missing, variables: { id: '424242' } }), bearer(alice));
    const [firstMissing, secondMissing] = api.requestLogs().slice(-2);
    expect(strip(secondMissing)).toEqual(strip(firstMissing));
    expect(secondMissing.errors).toEqual(['NOT_FOUND']);
  });

  test('cookies as Bearer: login sets the same cookie, a cookie session reads me on both paths', async () => {
    const login = JSON.stringify({
      query: LOGIN,
      variables: { input: { login: alice.username, password: alice.password } },
    });
    const before = fast();
    const first = await post(login);
    const second = await post(login);
    expect(fast()).toBeGreaterThan(before);
    expect(second.status).toBe(first.status);
    const cookieOf = (answer: RawResponse) =>
      answer.headers
        .get('set-cookie')!
        .replace(/st_session=[^;]+/, 'st_session=…')
        // Whole seconds: a login takes a while, and the second one may end in the next second.
        .replace(/Expires=[^;]+/, 'Expires=…');
    expect(cookieOf(second)).toBe(cookieOf(first));
    const cookie = second.headers.get('set-cookie')!.split(';')[0];
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    const answer = await twice(JSON.stringify({ query }), { cookie });
    expect(JSON.stringify(answer.json.data)).toContain(alice.id);
  });

  test('POST /graphql?query=… with a body, /GRAPHQL, /graphql/ and an absolute-form target', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    const body = JSON.stringify({ query });
    await twice(body, bearer(alice));
    const before = fast();
    const withSearch = await post(
      body,
      bearer(alice),
      `/graphql?query=${encodeURIComponent('{ __typename }')}`,
    );
    expect(fast()).toBe(before + 1);
    expect(JSON.stringify(withSearch.json.data)).toContain(alice.id);
    for (const path of ['/GRAPHQL', '/graphql/']) {
      const other = await post(body, bearer(alice), path);
      expect(other.status).toBe(200);
      expect(JSON.stringify(other.json.data)).toContain(alice.id);
    }
    const absolute = await rawExchange(
      requestBytes(body, [`Authorization: Bearer ${alice.token}`, 'Connection: close'], `${api.url}/graphql`),
    );
    expect(absolute).toMatch(/^HTTP\/1\.1 200/);
    expect(absolute).toContain(alice.id);
    expect(fast()).toBe(before + 1);
  });

  test('pipelining: three requests on one socket are answered in order', async () => {
    const names = [unique(), unique(), unique()];
    const bodies = names.map((name) => JSON.stringify({ query: `query { ${name}: me { id } }` }));
    for (const body of bodies) await post(body, bearer(alice));
    const before = fast();
    const answer = await rawExchange(
      bodies.map((body) => requestBytes(body, [`Authorization: Bearer ${alice.token}`])).join(''),
    );
    expect(answer.match(/HTTP\/1\.1 200/g)).toHaveLength(3);
    expect(names.map((name) => answer.indexOf(name))).toEqual(
      [...names.map((name) => answer.indexOf(name))].sort((a, b) => a - b),
    );
    expect(fast()).toBe(before + 3);
  });

  test('a content-length larger or smaller than the body: no crash, nothing run twice', async () => {
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    const body = JSON.stringify({ query });
    await twice(body, bearer(alice));
    // Longer than announced: the rest is the next request, which is not HTTP: 400 from Node.
    const longer = await rawExchange(
      [
        'POST /graphql HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body) - 5}`,
        '',
        body,
      ].join('\r\n'),
    );
    expect(longer).toMatch(/^HTTP\/1\.1 400/);
    // Shorter than announced, then the client leaves: nothing answered, and the server goes on.
    const shorter = await rawExchange(
      [
        'POST /graphql HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        `Content-Length: ${Buffer.byteLength(body) + 50}`,
        '',
        body,
      ].join('\r\n'),
      { idleMs: 200, end: true },
    );
    expect(shorter).not.toMatch(/HTTP\/1\.1 200/);
    expect((await post(body, bearer(alice))).status).toBe(200);
  });

  test('a mutation that throws and a refused variable answer the same', async () => {
    const mutation = `mutation ($id: ID!) { updateTicket(id: $id, input: { comment: "x" }) { id } }`.replace(
      'updateTicket',
      `${unique()}: updateTicket`,
    );
    const missing = await twice(
      JSON.stringify({ query: mutation, variables: { id: '999999' } }),
      bearer(alice),
    );
    expect(missing.json.errors[0].extensions.code).toBe('NOT_FOUND');
    const wrong = await twice(
      JSON.stringify({
        query: mutation.replace('mutation', `mutation ${unique()}`),
        variables: { id: { a: 1 } },
      }),
      bearer(alice),
    );
    expect(wrong.status).toBe(400);
  });

  test('the job-list limit refuses the whole answer the same way on both paths', async () => {
    const projectId = await api.createProject(admin);
    const ticketId = await api.createTicket(alice, projectId);
    // MAX_JOBS_PER_REQUEST (10,000) jobs and one more, written underneath.
    await api.sql(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001)
       INSERT INTO "job" ("ticketId", "authorId", "authorRole", "createdAt", "comment", "internal", "status", "changes")
       SELECT ?, ?, 'USER', 1, 'again', false, 0, '[]' FROM n`,
      [Number(ticketId), Number(alice.id)],
    );
    const query = `query ($id: ID!) { ticket(id: $id) { id jobs { id author { id } } } }`.replace(
      'ticket(',
      `${unique()}: ticket(`,
    );
    const answer = await twice(JSON.stringify({ query, variables: { id: ticketId } }), bearer(admin));
    expect(answer.json.data).toBeNull();
    expect(answer.json.errors).toHaveLength(1);
  });

  test('API tokens: cost extension, 401 for an unknown token, 403 read-only mutation, 429 with Retry-After', async () => {
    const create = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret apiToken { id } } }`;
    const created = (
      await api.ok<{ createApiToken: { secret: string; apiToken: { id: string } } }>(
        create,
        { input: { name: `r${unique()}`, scope: 'READ' } },
        alice.token,
      )
    ).createApiToken;
    const read = created.secret;
    const query = `query { me { id } }`.replace('me', `${unique()}: me`);
    const withCost = await twice(JSON.stringify({ query }), { authorization: `Bearer ${read}` });
    expect(withCost.json.extensions.cost).toBeDefined();
    const mutation = `mutation { ${unique()}: updateMe(input: { locale: EN }) { id } }`;
    const forbidden = await twice(JSON.stringify({ query: mutation }), { authorization: `Bearer ${read}` });
    expect(forbidden.status).toBe(403);
    const gone = await twice(JSON.stringify({ query: query.replace('query', `query ${unique()}`) }), {
      authorization: `Bearer ${read.slice(0, -4)}AAAA`,
    });
    expect(gone.status).toBe(401);
    const expensive = `query { tickets(first: 100) { nodes { id title jobs { id comment } } } }`.replace(
      'tickets',
      `${unique()}: tickets`,
    );
    // The hour's points spent (but one), as many requests would.
    const budget = api.server.services.tokenBudget;
    for (const points of [100, 10, 1]) while ((await budget.spend(Number(created.apiToken.id), points)).ok);
    const last = await post(JSON.stringify({ query: expensive }), { authorization: `Bearer ${read}` });
    expect(last!.status).toBe(429);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    // The first refusal may have been Apollo's; one more through the fast path answers the same.
    const again = await post(JSON.stringify({ query: expensive }), { authorization: `Bearer ${read}` });
    expect(again.status).toBe(429);
    expect(headersOf(again)).toEqual(headersOf(last!));
  });
});

describe('the session cache believes no session that has ended or changed', () => {
  const ME_NOW = `query { me { id email role locale } }`;
  const USERS = `query { users { id } }`;
  const LOGOUT = `mutation { logout }`;
  const SET_DEACTIVATED = `mutation ($id: ID!, $d: Boolean!) { setUserDeactivated(userId: $id, deactivated: $d) { id } }`;

  async function session(user: TestUser): Promise<string> {
    const result = await api.login(user.username, user.password);
    return result.data!.login.token;
  }
  /** me, through the fast path once the document is known: twice, so the second is a cache hit. */
  async function me(token: string): Promise<any> {
    const answer = await post(JSON.stringify({ query: ME_NOW }), { authorization: `Bearer ${token}` });
    return answer.json.data?.me ?? null;
  }

  test('a token used right after its logout, and during it, is ended', async () => {
    const person = await api.register('leaving');
    const token = await session(person);
    expect((await me(token)).id).toBe(person.id);
    expect((await me(token)).id).toBe(person.id);
    expect(api.server.services.sessionCache.size).toBeGreaterThan(0);
    // Requests racing the logout: whatever they see, none after it sees the session.
    const racing = Array.from({ length: 6 }, () => me(token));
    const logout = await post(JSON.stringify({ query: LOGOUT }), { authorization: `Bearer ${token}` });
    expect(logout.json.data.logout).toBe(true);
    await Promise.all(racing);
    expect(await me(token)).toBeNull();
    expect(await me(token)).toBeNull();
    // The other session of the same person goes on.
    expect((await me(person.token)).id).toBe(person.id);
  });

  test('a password change ends the other sessions at once; the cookie session too', async () => {
    const person = await api.register('changing');
    const other = await session(person);
    const login = await post(
      JSON.stringify({
        query: LOGIN,
        variables: { input: { login: person.username, password: person.password } },
      }),
    );
    const cookie = login.headers.get('set-cookie')!.split(';')[0];
    const viaCookie = async () =>
      (await post(JSON.stringify({ query: ME_NOW }), { cookie })).json.data?.me ?? null;
    expect((await me(other)).id).toBe(person.id);
    expect((await viaCookie()).id).toBe(person.id);
    expect((await viaCookie()).id).toBe(person.id);
    await api.ok(
      UPDATE_ME,
      { input: { currentPassword: person.password, newPassword: `${person.password} and more` } },
      person.token,
    );
    expect(await me(other)).toBeNull();
    expect(await viaCookie()).toBeNull();
  });

  test('a demoted ADMIN loses admin fields, a deactivated person the session, at once', async () => {
    const boss = await api.register('boss');
    await api.ok(SET_ROLE, { id: boss.id, role: 'ADMIN' }, admin.token);
    const users = () => post(JSON.stringify({ query: USERS }), { authorization: `Bearer ${boss.token}` });
    expect((await users()).json.data.users.length).toBeGreaterThan(1);
    expect((await users()).json.data.users.length).toBeGreaterThan(1);
    await api.ok(SET_ROLE, { id: boss.id, role: 'USER' }, admin.token);
    const refused = await users();
    expect(refused.json.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await me(boss.token)).role).toBe('USER');
    await api.ok(SET_DEACTIVATED, { id: boss.id, d: true }, admin.token);
    expect(await me(boss.token)).toBeNull();
  });

  test('an email change is read at once; a refused change leaves nothing half-changed', async () => {
    const person = await api.register('moving');
    expect((await me(person.token)).email).toBe(person.email);
    expect((await me(person.token)).email).toBe(person.email);
    const moved = `moved-${person.email}`;
    await api.ok(UPDATE_ME, { input: { currentPassword: person.password, email: moved } }, person.token);
    expect((await me(person.token)).email).toBe(moved);
    // A change refused (the address is taken) together with the locale: neither is seen by anyone.
    const refused = await api.gql(
      UPDATE_ME,
      { input: { currentPassword: person.password, email: alice.email, locale: 'FR' } },
      { token: person.token },
    );
    expect(refused.errors?.[0]?.extensions?.code).toBeDefined();
    const [fresh, again] = await Promise.all([me(person.token), me(person.token)]);
    expect(fresh).toMatchObject({ email: moved, locale: 'EN' });
    expect(again).toMatchObject({ email: moved, locale: 'EN' });
  });

  test('a user changed underneath by raw SQL (an admin command) is read at once', async () => {
    const person = await api.register('raw');
    expect((await me(person.token)).role).toBe('USER');
    expect((await me(person.token)).role).toBe('USER');
    await api.sql(`UPDATE "user" SET "role" = 'AGENT' WHERE "id" = ?`, [Number(person.id)]);
    expect((await me(person.token)).role).toBe('AGENT');
    // Lower case, a line break, no space before the column list: still seen.
    await api.sql(`update\n  "user"\tset "sessionVersion" = "sessionVersion" + 1 where "id" = ?`, [
      Number(person.id),
    ]);
    expect(await me(person.token)).toBeNull();
  });

  test('a write undone to its savepoint in a group commit is not believed by the next unit', async () => {
    // SQLite: one connection, so a request read during a unit sees its write; when that unit fails, its
    // savepoint is rolled back straight on the connection, where no TypeORM event tells the cache.
    const person = await api.register('undone');
    expect((await me(person.token)).role).toBe('USER');
    expect((await me(person.token)).role).toBe('USER');
    const database = api.server.services.database;
    let duringFailed: any;
    let duringNext: any;
    const failed = database.transaction(async (manager) => {
      await manager.update(User, { id: Number(person.id) }, { role: Role.ADMIN });
      duringFailed = await me(person.token);
      throw new Error('refused after its write');
    });
    const next = database.transaction(async () => {
      duringNext = await me(person.token);
    });
    await expect(failed).rejects.toThrow('refused after its write');
    await next;
    expect(['USER', 'ADMIN']).toContain(duringFailed.role);
    expect(duringNext.role).toBe('USER');
    expect((await me(person.token)).role).toBe('USER');
  });

  test('many distinct tokens: each is its own entry, and the count stays bounded', async () => {
    const person = await api.register('many');
    const [row] = await api.sql<{ sessionVersion: number }[]>(
      `SELECT "sessionVersion" FROM "user" WHERE "id" = ?`,
      [Number(person.id)],
    );
    const { iid } = JSON.parse(Buffer.from(person.token.split('.')[1], 'base64url').toString());
    const tokens = Array.from({ length: 60 }, (_, index) =>
      api.signToken(
        { sub: person.id, sv: Number(row.sessionVersion), iid, jti: `many-${index}-${unique()}` },
        { expiresIn: 3600 },
      ),
    );
    const cache = api.server.services.sessionCache;
    for (const token of tokens) expect((await me(token))?.id).toBe(person.id);
    expect(cache.size).toBeGreaterThanOrEqual(1);
    expect(cache.size).toBeLessThanOrEqual(10_000);
    // A token signed with another secret for the same person is never taken from the cache.
    const forged = api.signToken(
      { sub: person.id, sv: Number(row.sessionVersion), iid, jti: `forged-${unique()}` },
      { expiresIn: 3600 },
      'another secret entirely, 32 characters or more',
    );
    expect(await me(forged)).toBeNull();
  });
});

describe('the session cache and the token expiry (ManualClock)', () => {
  let clocked: TestApi;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(new Date('2026-03-02T09:00:00Z'));
    clocked = await TestApi.start({ tokenTtlSeconds: 60 }, { clock });
  });
  afterAll(async () => {
    await clocked?.stop();
  });

  test('a session believed a moment ago ends exactly at its expiry', async () => {
    const person = await clocked.register('expiring');
    const me = async () => {
      const answer = await clocked.http('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${person.token}` },
        body: JSON.stringify({ query: `query { me { id } }` }),
      });
      return answer;
    };
    clock.advance(59_000);
    expect((await me()).json.data.me.id).toBe(person.id);
    expect((await me()).json.data.me.id).toBe(person.id);
    // One second later the token has expired; the cache's 2 s must not outlive it.
    clock.advance(1_000);
    // An ended browser session reads me as null (principal plugin), as without the cache.
    const expired = await me();
    expect(expired.status).toBe(200);
    expect(expired.json.data.me).toBeNull();
  });
});

describe('load shedding and clients that leave', () => {
  let small: TestApi;
  let user: TestUser;
  beforeAll(async () => {
    small = await TestApi.start({ maxConcurrentRequests: 1, maxQueuedRequests: 2, maxQueueWaitMs: 2_000 });
    user = await small.register('lone');
  });
  afterAll(async () => {
    await small?.stop();
  });

  function leave(bytes: string, afterMs: number): Promise<void> {
    return new Promise((resolve) => {
      const url = new URL(small.url);
      const socket = net.connect(Number(url.port), url.hostname);
      socket.on('error', () => undefined);
      socket.write(bytes, () => setTimeout(() => (socket.destroy(), resolve()), afterMs));
    });
  }

  test('clients that leave mid-body or mid-answer keep no place: the next request runs', async () => {
    const body = JSON.stringify({ query: `query { me { id username } }` });
    const send = () =>
      small.http('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
        body,
      });
    expect((await send()).status).toBe(200);
    const head = (length: number) =>
      [
        'POST /graphql HTTP/1.1',
        'Host: 127.0.0.1',
        'Content-Type: application/json',
        `Authorization: Bearer ${user.token}`,
        `Content-Length: ${length}`,
        '',
        '',
      ].join('\r\n');
    const before = small.server.fastPath.answered.count;
    for (let round = 0; round < 5; round += 1) {
      // Mid-body: half of it, then gone.
      await leave(head(Buffer.byteLength(body)) + body.slice(0, 10), 5);
      // Mid-answer: the whole request, and gone before reading.
      await leave(head(Buffer.byteLength(body)) + body, 0);
    }
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((answer) => answer.status)).toEqual([200, 200]);
    expect(small.server.fastPath.answered.count).toBeGreaterThan(before);
  });
});
