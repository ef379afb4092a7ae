import { ManualClock, DAY_MS, MINUTE_MS } from '../src/clock';
import { ME, TICKET, UPDATE_ME } from './support/operations';
import { TestApi, errorCodes, type TestUser } from './support/test-server';

/**
 * Personal access tokens: shown once, stored hashed, scoped, expiring, revocable, never above their
 * owner, and metered by a cost budget reported with every answer.
 */

const CREATE = `mutation ($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { secret apiToken { id name scope createdAt expiresAt lastUsedAt } }
}`;
const LIST = `{ apiTokens { id name scope createdAt expiresAt lastUsedAt } }`;
const REVOKE = `mutation ($id: ID!) { revokeApiToken(id: $id) }`;
const USERS = `{ users { id role } }`;

interface Created {
  secret: string;
  id: string;
  expiresAt: string | null;
}

let clock: ManualClock;
let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let projectId: string;

async function createToken(owner: TestUser, input: Record<string, unknown>): Promise<Created> {
  const data = await api.ok<{
    createApiToken: { secret: string; apiToken: { id: string; expiresAt: string | null } };
  }>(CREATE, { input }, owner.token);
  return { secret: data.createApiToken.secret, ...data.createApiToken.apiToken };
}

beforeAll(async () => {
  clock = new ManualClock(new Date('2026-03-02T09:00:00Z'));
  api = await TestApi.start({ apiTokenBudget: 1_000 }, { clock });
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  projectId = await api.createProject(admin);
});
afterAll(() => api.stop());

describe('creating a token', () => {
  test('the secret is shown once, carries st_, and only its hash is stored', async () => {
    const token = await createToken(alice, { name: 'Dashboard', scope: 'READ' });
    expect(token.secret).toMatch(/^st_[0-9A-Za-z]{46}$/);
    const listed = await api.ok<{ apiTokens: Record<string, unknown>[] }>(LIST, {}, alice.token);
    expect(listed.apiTokens).toEqual([
      expect.objectContaining({ id: token.id, name: 'Dashboard', scope: 'READ', lastUsedAt: null }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(token.secret);
    const rows = await api.server.services.database.dataSource.query(`SELECT * FROM "api_token"`);
    expect(JSON.stringify(rows)).not.toContain(token.secret.slice(3));
    expect(rows.find((row: { id: number }) => String(row.id) === token.id).secretHash).toMatch(
      /^[0-9a-f]{64}$/,
    );
    await api.ok(REVOKE, { id: token.id }, alice.token);
  });

  test('expiry: 1 to 365 days; omitted, 90 days for a USER and never for an ADMIN', async () => {
    const now = clock.now().getTime();
    const userDefault = await createToken(alice, { name: 'default', scope: 'READ' });
    expect(Date.parse(userDefault.expiresAt!)).toBe(now + 90 * DAY_MS);
    const chosen = await createToken(alice, { name: 'a week', scope: 'READ', expiresInDays: 7 });
    expect(Date.parse(chosen.expiresAt!)).toBe(now + 7 * DAY_MS);
    const forever = await createToken(admin, { name: 'forever', scope: 'READ' });
    expect(forever.expiresAt).toBeNull();
    for (const id of [userDefault.id, chosen.id]) await api.ok(REVOKE, { id }, alice.token);
    await api.ok(REVOKE, { id: forever.id }, admin.token);
  });

  test('bad input is BAD_USER_INPUT naming the field, and nothing is created', async () => {
    const before = await api.snapshot();
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '   ', scope: 'READ' }, 'name'],
      [{ name: 'x'.repeat(101), scope: 'READ' }, 'name'],
      [{ name: 'ok', scope: 'READ', expiresInDays: 0 }, 'expiresInDays'],
      [{ name: 'ok', scope: 'READ', expiresInDays: 366 }, 'expiresInDays'],
      [{ name: 'ok', scope: 'ADMIN' }, 'scope'],
    ];
    for (const [input, field] of cases) {
      const result = await api.gql(CREATE, { input }, { token: alice.token });
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(result.errors![0].extensions!.invalidFields[0].field).toBe(field);
    }
    expect(await api.snapshot()).toEqual(before);
  });

  test('two tokens of one person cannot share a name (case aside)', async () => {
    const first = await createToken(alice, { name: 'CI', scope: 'READ' });
    const again = await api.gql(CREATE, { input: { name: 'ci', scope: 'WRITE' } }, { token: alice.token });
    expect(again.errors![0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      invalidFields: [{ field: 'name', rule: 'unique' }],
    });
    // Another person may use the same name.
    const bobs = await createToken(bob, { name: 'CI', scope: 'READ' });
    await api.ok(REVOKE, { id: first.id }, alice.token);
    await api.ok(REVOKE, { id: bobs.id }, bob.token);
  });

  test('anonymous callers cannot create or list tokens', async () => {
    expect(errorCodes(await api.gql(CREATE, { input: { name: 'x', scope: 'READ' } }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    expect(errorCodes(await api.gql(LIST))).toEqual(['UNAUTHENTICATED']);
  });
});

describe('using a token', () => {
  test('a READ token runs queries; its mutations are FORBIDDEN and change nothing', async () => {
    const token = await createToken(alice, { name: 'reader', scope: 'READ' });
    const me = await api.gql<{ me: { id: string } }>(ME, {}, { token: token.secret });
    expect(me.data!.me.id).toBe(alice.id);
    const before = await api.snapshot();
    const write = await api.gql(
      `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
      { input: { projectId, title: 'Through a read token', description: 'Must not be saved.' } },
      { token: token.secret },
    );
    expect(errorCodes(write)).toEqual(['FORBIDDEN']);
    expect(write.errors![0].message).toMatch(/read-only/);
    expect(write.status).toBe(403);
    // Refused before it ran: it says what is left, and spent nothing.
    expect(write.extensions?.cost).toMatchObject({ requested: 6 });
    const after = await api.gql(ME, {}, { token: token.secret });
    expect(after.extensions?.cost.remaining).toBe(write.extensions!.cost.remaining - 1);
    expect(write.data ?? null).toBeNull();
    expect(await api.snapshot()).toEqual(before);
    await api.ok(REVOKE, { id: token.id }, alice.token);
  });

  test("a WRITE token runs mutations with its owner's rights, and no more", async () => {
    const token = await createToken(alice, { name: 'writer', scope: 'WRITE' });
    const ticketId = await api.createTicket({ ...alice, token: token.secret }, projectId, {
      title: 'Filed by an integration',
    });
    const ticket = await api.ok<{ ticket: { author: { id: string } } }>(
      `query ($id: ID!) { ticket(id: $id) { author { id } } }`,
      { id: ticketId },
      alice.token,
    );
    expect(ticket.ticket.author.id).toBe(alice.id);
    const promote = await api.gql(
      `mutation ($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }`,
      { id: alice.id },
      { token: token.secret },
    );
    expect(errorCodes(promote)).toEqual(['FORBIDDEN']);
    await api.ok(REVOKE, { id: token.id }, alice.token);
  });

  test('a token cannot make tokens, log out, or change the password or email; it may change settings', async () => {
    const token = await createToken(alice, { name: 'settings', scope: 'WRITE' });
    const auth = { token: token.secret };
    expect(errorCodes(await api.gql(CREATE, { input: { name: 'child', scope: 'WRITE' } }, auth))).toEqual([
      'FORBIDDEN',
    ]);
    expect(errorCodes(await api.gql('mutation { logout }', {}, auth))).toEqual(['FORBIDDEN']);
    const password = await api.gql(
      UPDATE_ME,
      { input: { currentPassword: alice.password, newPassword: 'a whole new passphrase 42' } },
      auth,
    );
    expect(errorCodes(password)).toEqual(['FORBIDDEN']);
    const email = await api.gql(
      UPDATE_ME,
      { input: { currentPassword: alice.password, email: 'thief@example.com' } },
      auth,
    );
    expect(errorCodes(email)).toEqual(['FORBIDDEN']);
    expect((await api.login(alice.username, alice.password)).errors).toBeUndefined();
    const locale = await api.gql<{ updateMe: { locale: string } }>(
      UPDATE_ME,
      { input: { locale: 'FR' } },
      auth,
    );
    expect(locale.data!.updateMe.locale).toBe('FR');
    await api.ok(UPDATE_ME, { input: { locale: 'EN' } }, alice.token);
    await api.ok(REVOKE, { id: token.id }, alice.token);
  });

  test('lastUsedAt is set on use, at most once a minute', async () => {
    const token = await createToken(alice, { name: 'usage', scope: 'READ' });
    const lastUsed = async () =>
      (
        await api.ok<{ apiTokens: { id: string; lastUsedAt: string | null }[] }>(LIST, {}, alice.token)
      ).apiTokens.find((t) => t.id === token.id)!.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await api.ok(ME, {}, token.secret);
    const first = clock.now().toISOString();
    expect(await lastUsed()).toBe(first);
    clock.advance(30_000);
    await api.ok(ME, {}, token.secret);
    expect(await lastUsed()).toBe(first);
    clock.advance(MINUTE_MS);
    await api.ok(ME, {}, token.secret);
    expect(await lastUsed()).toBe(clock.now().toISOString());
    await api.ok(REVOKE, { id: token.id }, alice.token);
  });

  test('a malformed, made-up or cookie-borne token is UNAUTHENTICATED', async () => {
    const real = await createToken(alice, { name: 'cookie', scope: 'READ' });
    for (const secret of ['st_', `st_${'a'.repeat(46)}`, `${real.secret}x`]) {
      const result = await api.gql('{ tickets { totalCount } }', {}, { token: secret });
      expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
      expect(result.errors![0].message).toMatch(/API token is not valid/);
    }
    // A script that lost its variable sends "Bearer undefined": told what the header must hold.
    const undefinedToken = await api.gql('{ tickets { totalCount } }', {}, { token: 'undefined' });
    expect(errorCodes(undefinedToken)).toEqual(['UNAUTHENTICATED']);
    expect(undefinedToken.errors![0].message).toMatch(/Bearer st_/);
    const viaCookie = await api.gql(
      '{ tickets { totalCount } }',
      {},
      { headers: { cookie: `st_session=${real.secret}` } },
    );
    expect(errorCodes(viaCookie)).toEqual(['UNAUTHENTICATED']);
    await api.ok(REVOKE, { id: real.id }, alice.token);
  });
});

describe('ending a token', () => {
  test('a revoked token is UNAUTHENTICATED on the next request', async () => {
    const token = await createToken(alice, { name: 'to revoke', scope: 'READ' });
    await api.ok(ME, {}, token.secret);
    expect(await api.ok(REVOKE, { id: token.id }, alice.token)).toEqual({ revokeApiToken: true });
    const after = await api.gql('{ tickets { totalCount } }', {}, { token: token.secret });
    expect(errorCodes(after)).toEqual(['UNAUTHENTICATED']);
    // Even a query that needs nobody (me is null when not signed in) is refused with 401: the
    // integration learns at once that its token has ended.
    const me = await api.gql(ME, {}, { token: token.secret });
    expect(me.status).toBe(401);
    expect(errorCodes(me)).toEqual(['UNAUTHENTICATED']);
    expect(me.data ?? null).toBeNull();
  });

  test("someone else's token answers NOT_FOUND, like one that does not exist; an ADMIN may revoke anyone's", async () => {
    const token = await createToken(alice, { name: 'guarded', scope: 'READ' });
    expect(errorCodes(await api.gql(REVOKE, { id: token.id }, { token: bob.token }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await api.gql(REVOKE, { id: '999999' }, { token: bob.token }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await api.gql(REVOKE, { id: token.id }, { token: agent.token }))).toEqual([
      'NOT_FOUND',
    ]);
    await api.ok(ME, {}, token.secret);
    await api.ok(REVOKE, { id: token.id }, admin.token);
    expect(errorCodes(await api.gql('{ tickets { totalCount } }', {}, { token: token.secret }))).toEqual([
      'UNAUTHENTICATED',
    ]);
  });

  test('an expired token is UNAUTHENTICATED and says so', async () => {
    const token = await createToken(alice, { name: 'short', scope: 'READ', expiresInDays: 1 });
    clock.advance(DAY_MS - 1000);
    expect(errorCodes(await api.gql('{ tickets { totalCount } }', {}, { token: token.secret }))).toEqual([]);
    clock.advance(1000);
    const expired = await api.gql('{ tickets { totalCount } }', {}, { token: token.secret });
    expect(errorCodes(expired)).toEqual(['UNAUTHENTICATED']);
    expect(expired.errors![0].message).toMatch(/expired/);
    // Sessions of 12 hours ended meanwhile: sign the people of this file in again.
    for (const who of [admin, agent, alice, bob]) {
      who.token = (await api.login(who.username, who.password)).data!.login.token;
    }
    await api.ok(REVOKE, { id: token.id }, alice.token);
  });

  test("a token never outranks its owner: a demoted ADMIN's token loses ADMIN at once", async () => {
    const second = await api.register('second');
    await api.setRole(admin, second, 'ADMIN');
    const token = await createToken(second, { name: 'admin script', scope: 'WRITE' });
    expect(errorCodes(await api.gql(USERS, {}, { token: token.secret }))).toEqual([]);
    await api.setRole(admin, second, 'USER');
    expect(errorCodes(await api.gql(USERS, {}, { token: token.secret }))).toEqual(['FORBIDDEN']);
    const promote = await api.gql(
      `mutation ($id: ID!) { setUserRole(userId: $id, role: ADMIN) { id } }`,
      { id: second.id },
      { token: token.secret },
    );
    expect(errorCodes(promote)).toEqual(['FORBIDDEN']);
  });

  test("a removed owner's tokens stop at once", async () => {
    const leaving = await api.register('leaving');
    const token = await createToken(leaving, { name: 'orphan', scope: 'READ' });
    await api.ok(ME, {}, token.secret);
    await api.sql(`DELETE FROM "user" WHERE "id" = ?`, [Number(leaving.id)]);
    const after = await api.gql('{ tickets { totalCount } }', {}, { token: token.secret });
    expect(errorCodes(after)).toEqual(['UNAUTHENTICATED']);
    const rows = await api.sql(`SELECT COUNT(*) AS n FROM "api_token" WHERE "id" = ?`, [Number(token.id)]);
    expect(Number(rows[0].n)).toBe(0);
  });
});

describe('a USER’s token reveals no other user’s ticket', () => {
  test('through any query a reader would try', async () => {
    const secretTitle = 'Bob private payroll crash';
    const bobsTicket = await api.createTicket(bob, projectId, {
      title: secretTitle,
      description: 'payroll details',
    });
    const alicesTicket = await api.createTicket(alice, projectId, { title: 'Alice sees this' });
    const token = await createToken(alice, { name: 'snoop', scope: 'READ' });
    const auth = { token: token.secret };
    const single = await api.gql(TICKET, { id: bobsTicket }, auth);
    expect(errorCodes(single)).toEqual(['NOT_FOUND']);
    const answers = [
      single,
      await api.gql(`{ tickets(first: 100) { totalCount nodes { id title jobs { comment } } } }`, {}, auth),
      await api.gql(`{ tickets(filter: { search: "payroll" }) { totalCount nodes { id title } } }`, {}, auth),
      await api.gql(`{ projects { id openTicketCount } }`, {}, auth),
      await api.gql(
        `{ history(first: 500) { totalCount nodes { id comment ticket { id title } } } }`,
        {},
        auth,
      ),
      await api.gql(
        `query ($t: ID) { history(filter: { ticketId: $t }) { totalCount nodes { id } } }`,
        { t: bobsTicket },
        auth,
      ),
      await api.gql(`{ stats { total open byProject { key count } byAuthor { key count } } }`, {}, auth),
    ];
    for (const answer of answers) {
      const text = JSON.stringify(answer.data ?? null);
      expect(text).not.toContain(secretTitle);
      expect(text).not.toContain('payroll');
      expect(text).not.toContain(`"id":"${bobsTicket}"`);
    }
    const list = answers[1].data as { tickets: { nodes: { id: string }[] } };
    expect(list.tickets.nodes.map((t) => t.id)).toContain(alicesTicket);
    await api.ok(REVOKE, { id: token.id }, alice.token);
  });
});

describe('the cost budget', () => {
  test('every answer to a token says what it cost and what is left; sessions are not metered', async () => {
    const token = await createToken(bob, { name: 'metered', scope: 'WRITE' });
    const first = await api.gql(ME, {}, { token: token.secret });
    expect(first.extensions?.cost).toEqual({ requested: 1, remaining: 999, resetAt: expect.any(String) });
    const resetAt = Date.parse(first.extensions!.cost.resetAt);
    expect(resetAt - Date.now()).toBeGreaterThan(59 * MINUTE_MS);
    expect(resetAt - Date.now()).toBeLessThanOrEqual(60 * MINUTE_MS);
    // A page of 100 tickets: 1 request → 1 point; with each one's jobs, 1 + 100 requests → 2 points.
    const page = await api.gql(`{ tickets(first: 100) { nodes { id } } }`, {}, { token: token.secret });
    expect(page.extensions?.cost).toMatchObject({ requested: 1, remaining: 998 });
    const withJobs = await api.gql(
      `{ tickets(first: 100) { nodes { id jobs { id } } } }`,
      {},
      {
        token: token.secret,
      },
    );
    expect(withJobs.extensions?.cost).toMatchObject({ requested: 2, remaining: 996 });
    const write = await api.gql(UPDATE_ME, { input: { locale: 'EN' } }, { token: token.secret });
    expect(write.extensions?.cost).toMatchObject({ requested: 6, remaining: 990 });
    expect((await api.gql(ME, {}, { token: bob.token })).extensions?.cost).toBeUndefined();
    await api.ok(REVOKE, { id: token.id }, bob.token);
  });

  test('an exhausted budget answers RATE_LIMITED with retryAfterSeconds, and still says the cost', async () => {
    const small = await TestApi.start({ apiTokenBudget: 3 });
    try {
      const owner = await small.register('owner');
      const data = await small.ok<{ createApiToken: { secret: string } }>(
        CREATE,
        { input: { name: 'tiny', scope: 'READ' } },
        owner.token,
      );
      const secret = data.createApiToken.secret;
      for (let i = 0; i < 3; i++) expect(errorCodes(await small.gql(ME, {}, { token: secret }))).toEqual([]);
      const refused = await small.gql(ME, {}, { token: secret });
      expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
      expect(refused.errors![0].extensions!.retryAfterSeconds).toBeGreaterThan(3500);
      expect(refused.errors![0].extensions!.retryAfterSeconds).toBeLessThanOrEqual(3600);
      expect(refused.extensions?.cost).toMatchObject({ requested: 1, remaining: 0 });
      expect(refused.data ?? null).toBeNull();
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get('retry-after'))).toBe(
        refused.errors![0].extensions!.retryAfterSeconds,
      );
      expect(refused.errors![0].extensions!.http).toBeUndefined();
      // The person's own session is not held back by their integration's budget.
      expect(errorCodes(await small.gql(ME, {}, { token: owner.token }))).toEqual([]);
    } finally {
      await small.stop();
    }
  });
});
