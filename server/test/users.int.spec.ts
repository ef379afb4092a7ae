import { ME, SET_ROLE, UPDATE_ME } from './support/operations';
import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let user: TestUser;
let other: TestUser;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  user = await api.register('user');
  other = await api.register('other');
});
afterAll(() => api.stop());

const invalidField = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.invalidFields?.[0];

describe('users (ADMIN only)', () => {
  test('an admin lists every user with their private fields', async () => {
    const data = await api.ok<{
      users: { username: string; email: string; role: string; notifyByEmail: boolean }[];
    }>('{ users { username email role notifyByEmail } }', {}, admin.token);
    expect(data.users.map((u) => u.username)).toEqual([
      admin.username,
      agent.username,
      user.username,
      other.username,
    ]);
    expect(data.users.find((u) => u.username === user.username)).toEqual({
      username: user.username,
      email: user.email,
      role: 'USER',
      notifyByEmail: true,
    });
  });

  test.each([
    ['an agent', () => agent.token, 'FORBIDDEN'],
    ['a user', () => user.token, 'FORBIDDEN'],
    ['an anonymous caller', () => undefined, 'UNAUTHENTICATED'],
  ])('%s is refused', async (_who, token, code) => {
    const result = await api.gql('{ users { id email } }', {}, { token: token() });
    expect(errorCodes(result)).toEqual([code]);
    expect(result.data ?? null).toBeNull();
  });
});

describe('setUserRole', () => {
  test.each([
    ['an agent', () => agent.token, 'FORBIDDEN'],
    ['a user, on themself', () => user.token, 'FORBIDDEN'],
    ['an anonymous caller', () => undefined, 'UNAUTHENTICATED'],
  ])('%s cannot change roles, and nothing changes', async (_who, token, code) => {
    const result = await api.gql(SET_ROLE, { id: user.id, role: 'ADMIN' }, { token: token() });
    expect(errorCodes(result)).toEqual([code]);
    const me = await api.ok<{ me: { role: string } }>(ME, {}, user.token);
    expect(me.me.role).toBe('USER');
  });

  test('an unknown user is NOT_FOUND; a malformed id is BAD_USER_INPUT on userId', async () => {
    expect(
      errorCodes(await api.gql(SET_ROLE, { id: '424242', role: 'AGENT' }, { token: admin.token })),
    ).toEqual(['NOT_FOUND']);
    const malformed = await api.gql(SET_ROLE, { id: 'abc', role: 'AGENT' }, { token: admin.token });
    expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(malformed)).toMatchObject({ field: 'userId', rule: 'format' });
  });

  test('an unknown role is BAD_USER_INPUT', async () => {
    const result = await api.gql(SET_ROLE, { id: user.id, role: 'ROOT' }, { token: admin.token });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  });

  test('the last admin cannot stop being an admin; with a second admin, either can step down', async () => {
    const lastAdmin = await api.gql(SET_ROLE, { id: admin.id, role: 'AGENT' }, { token: admin.token });
    expect(errorCodes(lastAdmin)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(lastAdmin)).toMatchObject({ field: 'role', rule: 'notAllowed' });
    expect(lastAdmin.errors![0].message).toMatch(/last admin/);

    await api.setRole(admin, other, 'ADMIN');
    expect(
      (await api.gql(SET_ROLE, { id: admin.id, role: 'AGENT' }, { token: other.token })).errors,
    ).toBeUndefined();
    // Now `other` is the only admin: stepping down is refused, and the old admin can no longer act.
    expect(
      errorCodes(await api.gql(SET_ROLE, { id: other.id, role: 'USER' }, { token: other.token })),
    ).toEqual(['BAD_USER_INPUT']);
    expect(
      errorCodes(await api.gql(SET_ROLE, { id: other.id, role: 'USER' }, { token: admin.token })),
    ).toEqual(['FORBIDDEN']);
    await api.setRole(other, admin, 'ADMIN');
    await api.setRole(admin, other, 'USER');
  });
});

describe('updateMe', () => {
  test('changes email, language and notification preference', async () => {
    const data = await api.ok<{ updateMe: { email: string; locale: string; notifyByEmail: boolean } }>(
      UPDATE_ME,
      {
        input: {
          email: 'user.new@example.com',
          locale: 'FR',
          notifyByEmail: false,
          currentPassword: user.password,
        },
      },
      user.token,
    );
    expect(data.updateMe).toMatchObject({
      email: 'user.new@example.com',
      locale: 'FR',
      notifyByEmail: false,
    });
    const me = await api.ok<{ me: { email: string; locale: string; notifyByEmail: boolean } }>(
      ME,
      {},
      user.token,
    );
    expect(me.me).toMatchObject({ email: 'user.new@example.com', locale: 'FR', notifyByEmail: false });
    // The new email logs in; the old one no longer names anyone.
    expect((await api.login('USER.NEW@example.com', user.password)).errors).toBeUndefined();
    expect(errorCodes(await api.login(user.email, user.password))).toEqual(['BAD_USER_INPUT']);
    user.email = 'user.new@example.com';
  });

  test.each([
    [
      'an email used by another account (other case)',
      () => ({ email: other.email.toUpperCase(), currentPassword: user.password }),
      'email',
      'unique',
    ],
    ['an invalid email', () => ({ email: 'not an email' }), 'email', 'email'],
    [
      'a new password without the current one',
      () => ({ newPassword: 'a brand new passphrase' }),
      'currentPassword',
      'required',
    ],
    [
      'a wrong current password',
      () => ({ currentPassword: 'not my password', newPassword: 'a brand new passphrase' }),
      'currentPassword',
      'wrongPassword',
    ],
    [
      'a common new password',
      () => ({ currentPassword: user.password, newPassword: 'qwertyuiop' }),
      'newPassword',
      'commonPassword',
    ],
    [
      'a new password that is the username',
      () => ({ currentPassword: user.password, newPassword: `${user.username}${user.username}` }),
      'newPassword',
      'weakPassword',
    ],
    [
      'a new password that is the email',
      () => ({ currentPassword: user.password, newPassword: user.email }),
      'newPassword',
      'weakPassword',
    ],
    [
      'a new password that is a run of letters',
      () => ({ currentPassword: user.password, newPassword: 'abcdefgh' }),
      'newPassword',
      'weakPassword',
    ],
    [
      'a short new password',
      () => ({ currentPassword: user.password, newPassword: 'short' }),
      'newPassword',
      'length',
    ],
    [
      'a new password over 72 bytes',
      () => ({ currentPassword: user.password, newPassword: 'é'.repeat(40) }),
      'newPassword',
      'length',
    ],
  ])('refuses %s with BAD_USER_INPUT, changing nothing', async (_name, input, field, rule) => {
    const before = await api.ok<{ me: unknown }>(ME, {}, user.token);
    const result = await api.gql(UPDATE_ME, { input: input() }, { token: user.token });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field, rule });
    // Still signed in (no password change happened) and nothing else moved.
    expect(await api.ok<{ me: unknown }>(ME, {}, user.token)).toEqual(before);
  });

  test('an unknown locale is BAD_USER_INPUT; an anonymous caller is UNAUTHENTICATED', async () => {
    expect(errorCodes(await api.gql(UPDATE_ME, { input: { locale: 'DE' } }, { token: user.token }))).toEqual([
      'BAD_USER_INPUT',
    ]);
    expect(errorCodes(await api.gql(UPDATE_ME, { input: { locale: 'FR' } }))).toEqual(['UNAUTHENTICATED']);
  });

  test('a user cannot change their role through updateMe', async () => {
    const result = await api.gql(UPDATE_ME, { input: { role: 'ADMIN' } }, { token: other.token });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect((await api.ok<{ me: { role: string } }>(ME, {}, other.token)).me.role).toBe('USER');
  });

  test('a stolen session cannot guess the password through currentPassword: 10 wrong ones lock it, like logins', async () => {
    const victim = await api.register('guessed');
    const change = (currentPassword: string) =>
      api.gql(
        UPDATE_ME,
        { input: { currentPassword, newPassword: 'the thief chose this passphrase' } },
        { token: victim.token },
      );
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const result = await change(`wrong guess ${attempt}`);
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(invalidField(result)).toMatchObject({ field: 'currentPassword', rule: 'wrongPassword' });
    }
    const right = await change(victim.password);
    expect(errorCodes(right)).toEqual(['RATE_LIMITED']);
    expect(right.errors![0].extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    // Nothing changed, and the guesses were counted on the login by username too (one budget).
    expect((await api.ok<{ me: { id: string } }>(ME, {}, victim.token)).me.id).toBe(victim.id);
    expect(errorCodes(await api.login(victim.username, victim.password))).toEqual(['RATE_LIMITED']);
    expect(errorCodes(await api.login(victim.email, 'the thief chose this passphrase'))).toEqual([
      'BAD_USER_INPUT',
    ]);
  }, 20_000);
});

describe('private fields of other users', () => {
  test('the User type exposes no secret or internal column', async () => {
    const data = await api.ok<{ __type: { fields: { name: string }[] } }>(
      '{ __type(name: "User") { fields { name } } }',
    );
    expect(data.__type.fields.map((field) => field.name).sort()).toEqual(
      [
        'createdAt',
        'deactivated',
        'email',
        'emailVerified',
        'id',
        'locale',
        'notifyByEmail',
        'notifyNewTickets',
        'role',
        'username',
      ].sort(),
    );
  });

  test('email and notifyByEmail are visible to the user themself and to admins only', async () => {
    const projectId = await api.createProject(admin);
    const ticketId = await api.createTicket(user, projectId);
    const query = 'query ($id: ID!) { ticket(id: $id) { author { username email notifyByEmail } } }';
    const seenBy = async (viewer: TestUser) =>
      (await api.ok<{ ticket: { author: unknown } }>(query, { id: ticketId }, viewer.token)).ticket.author;

    expect(await seenBy(agent)).toEqual({ username: user.username, email: null, notifyByEmail: null });
    expect(await seenBy(admin)).toEqual({ username: user.username, email: user.email, notifyByEmail: false });
    expect(await seenBy(user)).toEqual({ username: user.username, email: user.email, notifyByEmail: false });
  });

  test('an agent reading the history sees job authors without their email', async () => {
    const projectId = await api.createProject(admin);
    const ticketId = await api.createTicket(admin, projectId);
    const data = await api.ok<{
      ticket: { jobs: { author: { email: string | null } }[]; author: { email: string | null } };
    }>(
      'query ($id: ID!) { ticket(id: $id) { author { email } jobs { author { email } } } }',
      { id: ticketId },
      agent.token,
    );
    expect(data.ticket.author.email).toBeNull();
    expect(data.ticket.jobs.map((job) => job.author.email)).toEqual([null]);
  });
});

describe('assignees', () => {
  let local: TestApi;
  beforeAll(async () => {
    local = await TestApi.start();
  });
  afterAll(async () => {
    await local.stop();
  });

  test('agents and admins list who can be assigned; a USER cannot', async () => {
    const admin = await local.register('boss');
    const agent = await local.register('agent');
    const reporter = await local.register('reporter');
    await local.setRole(admin, agent, 'AGENT');
    const query = '{ assignees { username role } }';
    const seen = await local.ok<{ assignees: { username: string; role: string }[] }>(query, {}, agent.token);
    expect(seen.assignees.map((user) => user.username).sort()).toEqual(
      [admin.username, agent.username].sort(),
    );
    expect(errorCodes(await local.gql(query, {}, { token: reporter.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await local.gql(query))).toEqual(['UNAUTHENTICATED']);
  });
});
