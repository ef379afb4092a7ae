import { assertAcceptablePassword, hashPassword, verifyPassword } from './password';

const ruleOf = (password: string) => {
  try {
    assertAcceptablePassword(password);
    return null;
  } catch (error) {
    return (error as { extensions: { invalidFields: { rule: string }[] } }).extensions.invalidFields[0].rule;
  }
};

describe('password rules', () => {
  test('accept a long, uncommon passphrase without composition rules', () => {
    expect(ruleOf('purple elephants dance')).toBeNull();
  });

  test.each([
    ['too short', 'short1', 'length'],
    ['too long', 'x'.repeat(129), 'length'],
    ['over 72 bytes though under 128 characters', 'é'.repeat(40), 'length'],
    ['a common password', 'password1', 'commonPassword'],
    ['a common password in other case', 'QWERTYUIOP', 'commonPassword'],
  ])('refuse %s', (_label, password, rule) => {
    expect(ruleOf(password)).toBe(rule);
  });

  test('hash with bcrypt cost ≥ 10 and verify', async () => {
    const hash = await hashPassword('purple elephants dance');
    expect(Number(hash.split('$')[2])).toBeGreaterThanOrEqual(10);
    expect(await verifyPassword('purple elephants dance', hash)).toBe(true);
    expect(await verifyPassword('purple elephants dancE', hash)).toBe(false);
  });
});
