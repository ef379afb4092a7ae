import { LOGIN, ME, REGISTER } from './support/operations';
import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

let api: TestApi;
let first: TestUser;
let second: TestUser;

beforeAll(async () => {
  api = await TestApi.start();
  first = await api.register('first');
  second = await api.register('second');
});
afterAll(() => api.stop());

const register = (input: Record<string, unknown>) =>
  api.gql<{ register: { token: string; user: any } }>(REGISTER, { input });
const goodInput = (name: string, extra: Record<string, unknown> = {}) => ({
  username: name,
  email: `${name}@example.com`,
  password: `a long passphrase for ${name}`,
  ...extra,
});
/** A strong password of exactly 72 bytes, bcrypt's limit. */
const SEVENTY_TWO_BYTES = 'Déjà vu près du vieux château à midi, là où l’été dure ééé';
function invalidField(result: GraphQLResponse): { field: string; rule: string; message: string } | undefined {
  return result.errors?.[0]?.extensions?.invalidFields?.[0];
}

describe('register', () => {
  test('the first account of an empty database is ADMIN, the next ones USER', async () => {
    const roles = await api.ok<{ users: { username: string; role: string }[] }>(
      '{ users { username role } }',
      {},
      first.token,
    );
    expect(roles.users).toEqual([
      { username: first.username, role: 'ADMIN' },
      { username: second.username, role: 'USER' },
    ]);
  });

  test('returns a working token and the new user, whose own email is visible to them', async () => {
    const result = await register(goodInput('carol'));
    expect(result.errors).toBeUndefined();
    expect(result.data!.register.user).toMatchObject({
      username: 'carol',
      email: 'carol@example.com',
      role: 'USER',
    });
    const me = await api.ok<{ me: { username: string } }>(ME, {}, result.data!.register.token);
    expect(me.me.username).toBe('carol');
  });

  test.each([
    ['as a variable', () => register(goodInput('mallory', { role: 'ADMIN' }))],
    [
      'inline',
      () =>
        api.gql(
          'mutation { register(input: {username: "mallory", email: "mallory@example.com", password: "a long passphrase", role: ADMIN}) { token } }',
        ),
    ],
  ])('a role in RegisterInput (%s) is a validation error and creates nothing', async (_how, send) => {
    const before = await api.snapshot();
    const result = await send();
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].message).toMatch(/"role" is not defined by type "RegisterInput"/);
    expect(await api.snapshot()).toEqual(before);
  });

  test.each([
    ['username too short', { username: 'ab' }, 'username', 'length'],
    ['username too long', { username: 'a'.repeat(33) }, 'username', 'length'],
    ['username with a space', { username: 'bad name' }, 'username', 'format'],
    ['username with a slash', { username: 'bad/name' }, 'username', 'format'],
    ['username taken, other case', { username: 'FIRST1' }, 'username', 'unique'],
    ['email not an address', { email: 'not-an-email' }, 'email', 'email'],
    ['email without a domain', { email: 'someone@' }, 'email', 'email'],
    ['email taken, other case', { email: 'Second2@EXAMPLE.com' }, 'email', 'unique'],
    ['password too short', { password: 'short12' }, 'password', 'length'],
    ['password too long', { password: 'x'.repeat(129) }, 'password', 'length'],
    [
      'password over 72 bytes (40 × é = 80 bytes, 40 characters)',
      { password: 'é'.repeat(40) },
      'password',
      'length',
    ],
    ['common password "password1"', { password: 'password1' }, 'password', 'commonPassword'],
    ['common password "qwertyuiop"', { password: 'qwertyuiop' }, 'password', 'commonPassword'],
    ['common password, other case', { password: 'Password1' }, 'password', 'commonPassword'],
    ['password equal to the username', { password: 'newcomer' }, 'password', 'weakPassword'],
    ['password equal to the email', { password: 'newcomer@example.com' }, 'password', 'weakPassword'],
    ['password of the username and a year', { password: 'Newcomer2026' }, 'password', 'weakPassword'],
    ['one letter repeated', { password: 'aaaaaaaa' }, 'password', 'weakPassword'],
    ['a run of letters', { password: 'abcdefgh' }, 'password', 'weakPassword'],
    ['a run of digits', { password: '12345678' }, 'password', 'commonPassword'],
    ['a keyboard row', { password: 'qwertyui' }, 'password', 'commonPassword'],
    ['one accented letter repeated (36 × é)', { password: 'é'.repeat(36) }, 'password', 'weakPassword'],
  ])('refuses %s with BAD_USER_INPUT naming the field and rule', async (_name, override, field, rule) => {
    const before = await api.snapshot();
    const result = await register({ ...goodInput('newcomer'), ...override });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field, rule });
    expect(result.errors![0].message).toContain(field);
    expect(await api.snapshot()).toEqual(before);
  });

  test('usernames of 3 and of 32 characters, with ".", "_" and "-", are accepted', async () => {
    expect((await register(goodInput('abc'))).errors).toBeUndefined();
    const longest = 'A.b_c-D'.padEnd(32, 'x');
    const result = await register({ ...goodInput('longest'), username: longest });
    expect(result.errors).toBeUndefined();
    expect(result.data!.register.user.username).toBe(longest);
  });

  test('the 72-byte message says why a 40-character password is refused', async () => {
    const result = await register(goodInput('accents', { password: 'é'.repeat(40) }));
    expect(result.errors![0].message).toMatch(/72 bytes/);
  });

  test('a password of exactly 72 bytes (accented letters take 2) is accepted and works for login', async () => {
    const password = SEVENTY_TWO_BYTES;
    expect(Buffer.byteLength(password)).toBe(72);
    expect((await register(goodInput('dora', { password }))).errors).toBeUndefined();
    expect((await api.login('dora', password)).errors).toBeUndefined();
  });
});

describe('login', () => {
  test.each([
    ['username', () => first.username],
    ['username in another case', () => first.username.toUpperCase()],
    ['email', () => first.email],
    ['email in another case', () => first.email.toUpperCase()],
  ])('accepts the %s', async (_how, login) => {
    const result = await api.gql<{ login: { token: string; user: { id: string } } }>(LOGIN, {
      input: { login: login(), password: first.password },
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.login.user.id).toBe(first.id);
    const me = await api.ok<{ me: { id: string } }>(ME, {}, result.data!.login.token);
    expect(me.me.id).toBe(first.id);
  });

  test('an unknown login and a wrong password get exactly the same answer', async () => {
    const unknown = await api.login('nobody-here', 'whatever password');
    const unknownEmail = await api.login('nobody@example.com', 'whatever password');
    const wrong = await api.login(second.username, 'not the password');
    expect(errorCodes(wrong)).toEqual(['BAD_USER_INPUT']);
    const shape = (result: GraphQLResponse) => ({
      status: result.status,
      errors: result.errors,
      data: result.data,
    });
    expect(shape(unknown)).toEqual(shape(wrong));
    expect(shape(unknownEmail)).toEqual(shape(wrong));
  });

  test('a password that differs only after byte 72 does not log in (no silent bcrypt truncation)', async () => {
    const result = await api.login('dora', `${SEVENTY_TWO_BYTES}extra`);
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  });
});

describe('logout', () => {
  test('the token used for logout stops working at once; other sessions of the same user go on', async () => {
    const session = (await api.login(second.username, second.password)).data!.login.token;
    expect((await api.ok<{ logout: boolean }>('mutation { logout }', {}, session)).logout).toBe(true);

    const me = await api.gql<{ me: unknown }>(ME, {}, { token: session });
    expect(me.errors).toBeUndefined();
    expect(me.data!.me).toBeNull();
    const tickets = await api.gql('{ tickets { totalCount } }', {}, { token: session });
    expect(errorCodes(tickets)).toEqual(['UNAUTHENTICATED']);
    expect(tickets.errors![0].message).toMatch(/session has ended/i);
    const again = await api.gql('mutation { logout }', {}, { token: session });
    expect(errorCodes(again)).toEqual(['UNAUTHENTICATED']);

    const other = await api.ok<{ me: { id: string } }>(ME, {}, second.token);
    expect(other.me.id).toBe(second.id);
  });

  test('logout without a token is UNAUTHENTICATED', async () => {
    expect(errorCodes(await api.gql('mutation { logout }'))).toEqual(['UNAUTHENTICATED']);
  });
});
