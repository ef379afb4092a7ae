import { assertAcceptablePassword, hashPassword, verifyPassword, type PasswordOwner } from './password';

const alice: PasswordOwner = { username: 'alice', email: 'alice.martin@example.com' };

const refusalOf = (password: string, owner: PasswordOwner = {}, field?: string) => {
  try {
    assertAcceptablePassword(password, owner, field);
    return null;
  } catch (error) {
    return (error as { extensions: { invalidFields: { field: string; rule: string; message: string }[] } })
      .extensions.invalidFields[0];
  }
};
const ruleOf = (password: string, owner: PasswordOwner = {}) => refusalOf(password, owner)?.rule ?? null;

describe('password rules', () => {
  test('accept a long, uncommon passphrase without composition rules', () => {
    expect(ruleOf('purple elephants dance')).toBeNull();
    expect(ruleOf('purple elephants dance', alice)).toBeNull();
  });

  test.each([
    ['too short', 'short1', 'length'],
    ['too long', 'x'.repeat(129), 'length'],
    ['over 72 bytes though under 128 characters', 'é'.repeat(40), 'length'],
    ['a common password', 'password1', 'commonPassword'],
    ['a common password in other case', 'QWERTYUIOP', 'commonPassword'],
    ['one character repeated', 'aaaaaaaa', 'weakPassword'],
    ['a run of the alphabet', 'abcdefgh', 'weakPassword'],
    ['a run of digits', '12345678', 'commonPassword'],
    ['a keyboard row', 'qwertyui', 'commonPassword'],
    ['another keyboard row', 'zxcvbnm,', 'weakPassword'],
    ['a word and a year', 'sunshine2024', 'weakPassword'],
    ['one accented letter repeated to 72 bytes', 'é'.repeat(36), 'weakPassword'],
  ])('refuse %s', (_label, password, rule) => {
    expect(ruleOf(password)).toBe(rule);
  });

  test.each([
    ['the username', 'alicealice'],
    ['the username, capitalised, with digits', 'Alice2026!'],
    ['the email', 'alice.martin@example.com'],
    ["the email's local part", 'alice.martin'],
    ['the name of the service', 'Ticketing2026'],
    ['the name of the service in one word', 'simpleticketing2026'],
    ['the name of the service in two words', 'simple ticketing 2026'],
    ['the name of the service, capitalised', 'SimpleTicketing!'],
  ])("refuse the user's own data: %s", (_label, password) => {
    expect(ruleOf(password, alice)).toBe('weakPassword');
  });

  test("what is refused as someone's own data is fine for another user", () => {
    expect(ruleOf('alice.martin', alice)).toBe('weakPassword');
    expect(ruleOf('alice.martin', { username: 'bob', email: 'bob@example.com' })).toBeNull();
  });

  test('the message says why, and how to choose a better one, naming the field', () => {
    const refusal = refusalOf('aaaaaaaa', alice, 'newPassword');
    expect(refusal).toMatchObject({ field: 'newPassword', rule: 'weakPassword' });
    expect(refusal!.message).toMatch(/^newPassword is too easy to guess: it repeats characters/);
    expect(refusal!.message).toMatch(/three or four unrelated words/);
    expect(refusalOf('alice2026', alice)!.message).toMatch(/your username, your email address/);
  });

  test('hash with bcrypt cost ≥ 10 and verify', async () => {
    const hash = await hashPassword('purple elephants dance');
    expect(Number(hash.split('$')[2])).toBeGreaterThanOrEqual(10);
    expect(await verifyPassword('purple elephants dance', hash)).toBe(true);
    expect(await verifyPassword('purple elephants dancE', hash)).toBe(false);
  });
});
