import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import { ME, UPDATE_ME } from './support/operations';
import { TestApi, errorCodes, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let user: TestUser;

beforeAll(async () => {
  api = await TestApi.start();
  admin = await api.register('admin');
  user = await api.register('user');
});
afterAll(() => api.stop());

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);
/** The claims the server itself puts in a token for this user (session version read from its token). */
const claimsOf = (who: TestUser, extra: Record<string, unknown> = {}) => ({
  sub: who.id,
  jti: crypto.randomBytes(16).toString('hex'),
  sv: (jwt.decode(who.token) as { sv: number }).sv,
  iid: api.server.services.database.instanceId,
  exp: now() + 3600,
  ...extra,
});

/** Asks for a field that needs a user, and for `me`, which never fails. */
async function probe(token: string) {
  const protectedField = await api.gql('{ tickets { totalCount } }', {}, { token });
  const me = await api.gql<{ me: { id: string } | null }>(ME, {}, { token });
  return { protectedField, me };
}

describe('a token the server signed itself', () => {
  test('control: a token signed here with HS256 and the right claims is accepted (so the refusals below are about the defect)', async () => {
    const { protectedField, me } = await probe(api.signToken(claimsOf(user)));
    expect(protectedField.errors).toBeUndefined();
    expect(me.data!.me!.id).toBe(user.id);
  });
});

describe('refused tokens: UNAUTHENTICATED on protected fields, and me is null', () => {
  const cases: [string, () => string, RegExp][] = [
    [
      'forged: signed with another secret',
      () => api.signToken(claimsOf(admin), {}, crypto.randomBytes(48).toString('base64url')),
      /not valid/,
    ],
    [
      'expired (signed with the server secret, exp in the past)',
      () => api.signToken(claimsOf(admin, { exp: now() - 60 })),
      /expired/,
    ],
    [
      'alg:none, unsigned',
      () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claimsOf(admin))}.`,
      /not valid/,
    ],
    [
      'HS512 with the server secret (the algorithm is pinned)',
      () => api.signToken(claimsOf(admin), { algorithm: 'HS512' }),
      /not valid/,
    ],
    [
      'a real token with its payload changed to another user',
      () => {
        const [header, , signature] = user.token.split('.');
        return `${header}.${base64url(claimsOf(admin))}.${signature}`;
      },
      /not valid/,
    ],
    ['garbage', () => 'garbage', /not valid/],
    ['three garbage segments', () => 'abc.def.ghi', /not valid/],
    ['valid signature, unknown user', () => api.signToken(claimsOf(admin, { sub: '999999' })), /ended/],
    [
      'valid signature, no session version',
      () => api.signToken(claimsOf(admin, { sv: undefined })),
      /not valid/,
    ],
    ['valid signature, wrong session version', () => api.signToken(claimsOf(admin, { sv: 7 })), /ended/],
    [
      'valid signature, no database instance id',
      () => api.signToken(claimsOf(admin, { iid: undefined })),
      /not valid/,
    ],
    [
      "valid signature, another database's instance id",
      () => api.signToken(claimsOf(admin, { iid: crypto.randomBytes(16).toString('hex') })),
      /ended/,
    ],
  ];

  test.each(cases)('%s', async (_name, token, message) => {
    const { protectedField, me } = await probe(token());
    expect(errorCodes(protectedField)).toEqual(['UNAUTHENTICATED']);
    expect(protectedField.errors![0].message).toMatch(message);
    expect(protectedField.data ?? null).toBeNull();
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toBeNull();
  });

  test('a malformed Authorization header is a bad token, not an anonymous call', async () => {
    const result = await api.gql(
      '{ tickets { totalCount } }',
      {},
      { headers: { authorization: `Token ${admin.token}` } },
    );
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.errors![0].message).toMatch(/not valid/);
  });

  test('an admin-only call with a forged admin token is UNAUTHENTICATED, not answered', async () => {
    const forged = api.signToken(claimsOf(admin), {}, 'another secret that is at least 32 characters');
    const result = await api.gql('{ users { email } }', {}, { token: forged });
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(JSON.stringify(result)).not.toContain(admin.email);
  });
});

describe('changes that end sessions', () => {
  test('a password change invalidates every older token on the very next request', async () => {
    const agent = await api.register('pwchange');
    const otherSession = (await api.login(agent.username, agent.password)).data!.login.token;
    const newPassword = 'an entirely new passphrase';
    const changed = await api.gql(
      UPDATE_ME,
      { input: { currentPassword: agent.password, newPassword } },
      { token: agent.token },
    );
    expect(changed.errors).toBeUndefined();

    for (const token of [agent.token, otherSession]) {
      const { protectedField, me } = await probe(token);
      expect(errorCodes(protectedField)).toEqual(['UNAUTHENTICATED']);
      expect(me.data!.me).toBeNull();
    }
    expect(errorCodes(await api.login(agent.username, agent.password))).toEqual(['BAD_USER_INPUT']);
    const fresh = await api.login(agent.username, newPassword);
    expect(fresh.errors).toBeUndefined();
    expect((await probe(fresh.data!.login.token)).protectedField.errors).toBeUndefined();
  });

  test('a browser session that changes its password continues with a fresh cookie; the old cookie is refused', async () => {
    const browser = await api.register('browser');
    const oldCookie = `st_session=${browser.token}`;
    const response = await api.http('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: oldCookie },
      body: JSON.stringify({
        query: UPDATE_ME,
        variables: {
          input: { currentPassword: browser.password, newPassword: 'a fresh browser passphrase' },
        },
      }),
    });
    expect(response.json.errors).toBeUndefined();
    const newCookie = (response.headers.get('set-cookie') ?? '').split(';')[0];
    expect(newCookie).toMatch(/^st_session=.+/);
    expect(newCookie).not.toBe(oldCookie);
    expect(
      (await api.gql<{ me: { id: string } | null }>(ME, {}, { headers: { cookie: newCookie } })).data!.me?.id,
    ).toBe(browser.id);
    expect((await api.gql<{ me: unknown }>(ME, {}, { headers: { cookie: oldCookie } })).data!.me).toBeNull();
  });

  test('a role change takes effect on the very next request, with the same token', async () => {
    const deputy = await api.register('deputy');
    expect(errorCodes(await api.gql('{ users { id } }', {}, { token: deputy.token }))).toEqual(['FORBIDDEN']);

    await api.setRole(admin, deputy, 'ADMIN');
    expect((await api.gql('{ users { id } }', {}, { token: deputy.token })).errors).toBeUndefined();

    await api.setRole(admin, deputy, 'USER');
    const demoted = await api.gql('{ users { id } }', {}, { token: deputy.token });
    expect(errorCodes(demoted)).toEqual(['FORBIDDEN']);
    const createProject = await api.gql(
      'mutation { createProject(input: {name: "Sneaky"}) { id } }',
      {},
      { token: deputy.token },
    );
    expect(errorCodes(createProject)).toEqual(['FORBIDDEN']);
  });

  test("a demoted agent stops seeing other people's tickets on the next request", async () => {
    const projectId = await api.createProject(admin);
    const ticketId = await api.createTicket(admin, projectId);
    const helper = await api.register('helper');
    await api.setRole(admin, helper, 'AGENT');
    expect(
      (
        await api.gql(
          'query ($id: ID!) { ticket(id: $id) { id } }',
          { id: ticketId },
          { token: helper.token },
        )
      ).errors,
    ).toBeUndefined();
    await api.setRole(admin, helper, 'USER');
    const after = await api.gql(
      'query ($id: ID!) { ticket(id: $id) { id } }',
      { id: ticketId },
      { token: helper.token },
    );
    expect(errorCodes(after)).toEqual(['NOT_FOUND']);
  });
});
