import crypto from 'node:crypto';
import { UnsubscribeTokens, bindUnsubscribeTokens, unsubscribeTokensFor } from './unsubscribe-token';

const secret = 'a-token-secret-of-at-least-32-characters';
const database = { instanceId: 'instance-a' };
const tokens = new UnsubscribeTokens(secret, database);

describe('unsubscribe tokens', () => {
  test('name the user they were issued for', () => {
    const token = tokens.issue(42);
    expect(token).toMatch(/^42\.[A-Za-z0-9_-]{43}$/);
    expect(tokens.verify(token)).toBe(42);
  });

  test('refuse another user’s id, a changed mac, another secret and junk', () => {
    const [, mac] = tokens.issue(42).split('.');
    expect(tokens.verify(`43.${mac}`)).toBeNull();
    expect(tokens.verify(`42.${mac.slice(0, -2)}AA`)).toBeNull();
    expect(new UnsubscribeTokens(`${secret}!`, database).verify(tokens.issue(42))).toBeNull();
    for (const junk of ['', '42', '42.', '0.x', '-1.abc', `042.${mac}`, `42.${mac}.x`]) {
      expect(tokens.verify(junk)).toBeNull();
    }
  });

  test('refuse a link issued for another database (same secret, same user id)', () => {
    const replaced = new UnsubscribeTokens(secret, { instanceId: 'instance-b' });
    expect(replaced.verify(tokens.issue(42))).toBeNull();
    expect(tokens.verify(replaced.issue(42))).toBeNull();
  });

  test('use a key derived from the token secret, not the secret itself', () => {
    const direct = crypto
      .createHmac('sha256', secret)
      .update(`unsubscribe:${database.instanceId}:42`)
      .digest('base64url');
    expect(tokens.issue(42)).not.toBe(`42.${direct}`);
  });

  test('are bound to a config at start-up and found by it afterwards', () => {
    const config = { dataDir: '/nowhere', jwtSecret: secret };
    expect(() => unsubscribeTokensFor(config)).toThrow(/start-up/);
    const bound = bindUnsubscribeTokens(config, database);
    expect(unsubscribeTokensFor(config)).toBe(bound);
    expect(bound.verify(tokens.issue(7))).toBe(7);
  });
});
