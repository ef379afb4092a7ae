import type { Principal } from '../auth/principal';
import type { User } from '../users/user.entity';
import {
  type LiveConnection,
  LiveConnections,
  SubscribeRate,
  closeReason,
  stillSignedIn,
} from './live-connections';
import { isOwnOrigin } from './live-server';

function connection(userId: number): LiveConnection {
  return { principal: { kind: 'token', user: { id: userId } as User } as Principal, end: () => undefined };
}

describe('LiveConnections', () => {
  test('at most perUser sockets per user; a released one frees a place', () => {
    const connections = new LiveConnections(2);
    const [a, b, c] = [connection(1), connection(1), connection(1)];
    expect(connections.admit(a)).toBe(true);
    expect(connections.admit(b)).toBe(true);
    expect(connections.admit(c)).toBe(false);
    expect(connections.admit(connection(2))).toBe(true);
    expect(connections.countOf(1)).toBe(2);
    expect(connections.size).toBe(3);
    connections.remove(a);
    expect(connections.admit(c)).toBe(true);
    expect(connections.all()).toHaveLength(3);
    connections.remove(b);
    connections.remove(c);
    expect(connections.countOf(1)).toBe(0);
  });
});

describe('stillSignedIn', () => {
  const session = { kind: 'session', claims: { sv: 4 } } as Principal;
  const token = { kind: 'token' } as Principal;
  test('a session stands while its session version does and the account is active', () => {
    expect(stillSignedIn(session, { sessionVersion: 4, deactivatedAt: null })).toBe(true);
    expect(stillSignedIn(session, { sessionVersion: 5, deactivatedAt: null })).toBe(false);
    expect(stillSignedIn(session, { sessionVersion: 4, deactivatedAt: new Date() })).toBe(false);
  });
  test('an API token does not follow password changes, but deactivation ends it', () => {
    expect(stillSignedIn(token, { sessionVersion: 9, deactivatedAt: null })).toBe(true);
    expect(stillSignedIn(token, { sessionVersion: 9, deactivatedAt: new Date() })).toBe(false);
  });
});

describe('closeReason', () => {
  test('fits the 123 bytes a WebSocket close frame allows, cut on a character', () => {
    expect(closeReason('Session ended.')).toBe('Session ended.');
    const long = closeReason('é'.repeat(100));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(123);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('isOwnOrigin', () => {
  test('the Host’s origin or the public URL’s, nothing else', () => {
    expect(isOwnOrigin('http://localhost:4000', 'localhost:4000', 'https://tickets.example.com')).toBe(true);
    expect(isOwnOrigin('https://tickets.example.com', 'internal:4000', 'https://tickets.example.com')).toBe(
      true,
    );
    expect(isOwnOrigin('https://evil.example', 'localhost:4000', 'https://tickets.example.com')).toBe(false);
    expect(isOwnOrigin('http://tickets.example.com', 'internal:4000', 'https://tickets.example.com')).toBe(
      false,
    );
    expect(isOwnOrigin('null', 'localhost:4000', 'https://tickets.example.com')).toBe(false);
  });
});

describe('SubscribeRate', () => {
  test('perMinute messages a minute, then the seconds until the next minute', () => {
    const rate = new SubscribeRate(3);
    const start = 1_000_000;
    expect([rate.take(start), rate.take(start + 1), rate.take(start + 2)]).toEqual([null, null, null]);
    expect(rate.take(start + 20_000)).toBe(40);
    expect(rate.take(start + 59_999)).toBe(1);
    expect(rate.take(start + 60_000)).toBeNull();
  });
});
