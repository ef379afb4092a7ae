import { TokenScope } from '../api-tokens/api-token.entity';
import type { User } from '../users/user.entity';
import {
  assertMayChangeCredentials,
  authenticate,
  canWrite,
  type Authenticator,
  type Principal,
} from './principal';

const user = { id: 7 } as User;
const session: Principal = { kind: 'session', user, scope: TokenScope.WRITE, claims: {} as never };
const reader: Principal = { kind: 'token', user, scope: TokenScope.READ, tokenId: 1 };
const writer: Principal = { kind: 'token', user, scope: TokenScope.WRITE, tokenId: 2 };

function fake(name: string, accepts: (value: string) => boolean): Authenticator & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    accepts: (credential) => accepts(credential.value),
    authenticate: async (credential) => {
      calls.push(`${name}:${credential.value}`);
      return session;
    },
  };
}

describe('principals', () => {
  test('the first authenticator that accepts the credential decides; the others are not asked', async () => {
    const tokens = fake('tokens', (value) => value.startsWith('st_'));
    const sessions = fake('sessions', () => true);
    await authenticate([tokens, sessions], { value: 'st_abc', from: 'header' });
    await authenticate([tokens, sessions], { value: 'eyJ.jwt', from: 'header' });
    expect(tokens.calls).toEqual(['tokens:st_abc']);
    expect(sessions.calls).toEqual(['sessions:eyJ.jwt']);
  });

  test('a credential no authenticator takes is invalid', async () => {
    expect(await authenticate([fake('none', () => false)], { value: 'x', from: 'cookie' })).toBe('invalid');
  });

  test('READ tokens cannot write; sessions and WRITE tokens can', () => {
    expect(canWrite(reader)).toBe(false);
    expect(canWrite(writer)).toBe(true);
    expect(canWrite(session)).toBe(true);
  });

  test('only a session may change the password or email', () => {
    expect(() => assertMayChangeCredentials(session)).not.toThrow();
    expect(() => assertMayChangeCredentials(writer)).toThrow(/API token cannot change/);
  });
});
