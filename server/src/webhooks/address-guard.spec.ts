import type { LookupAddress } from 'node:dns';
import { BlockedAddress, guardedLookup, isAllowedHost, isPublicAddress } from './address-guard';

test.each([
  ['10.1.2.3', 'private (RFC 1918)'],
  ['172.16.0.1', 'private (RFC 1918)'],
  ['192.168.1.1', 'private (RFC 1918)'],
  ['127.0.0.1', 'loopback'],
  ['127.8.9.10', 'loopback'],
  ['169.254.169.254', 'link-local: the cloud metadata service'],
  ['0.0.0.0', 'unspecified'],
  ['100.64.0.1', 'carrier-grade NAT'],
  ['255.255.255.255', 'broadcast'],
  ['224.0.0.1', 'multicast'],
  ['192.0.2.1', 'documentation'],
  ['::1', 'IPv6 loopback'],
  ['::', 'IPv6 unspecified'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, in hex'],
  ['::ffff:10.0.0.1', 'IPv4-mapped private'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['fc00::1', 'unique local'],
  ['fd12:3456::1', 'unique local'],
  ['fe80::1', 'IPv6 link-local'],
  ['64:ff9b::7f00:1', 'NAT64 of a loopback address'],
  ['2002:7f00:1::1', '6to4 of a loopback address'],
  ['not an address', 'not an address'],
])('%s is refused (%s)', (address) => {
  expect(isPublicAddress(address)).toBe(false);
});

test.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
  '%s, public unicast, is allowed',
  (address) => {
    expect(isPublicAddress(address)).toBe(true);
  },
);

test('an allowed host matches as written; an IPv6 one however it is written', () => {
  expect(isAllowedHost('127.0.0.1', ['127.0.0.1'])).toBe(true);
  expect(isAllowedHost('hooks.internal', ['127.0.0.1', 'hooks.internal'])).toBe(true);
  expect(isAllowedHost('0:0:0:0:0:0:0:1', ['::1'])).toBe(true);
  expect(isAllowedHost('localhost', ['127.0.0.1'])).toBe(false);
  expect(isAllowedHost('127.0.0.2', ['127.0.0.1'])).toBe(false);
  expect(isAllowedHost('10.0.0.1', [])).toBe(false);
});

describe('the lookup a delivery connects with', () => {
  const lookup = (host: string, allowHosts: string[], all: boolean) =>
    new Promise<{ error: Error | null; address: string | LookupAddress[] }>((resolve) =>
      guardedLookup(allowHosts)(host, { all }, (error, address) => resolve({ error, address })),
    );

  test.each([true, false])('refuses a name that resolves to a loopback address (all: %s)', async (all) => {
    const { error } = await lookup('localhost', [], all);
    expect(error).toBeInstanceOf(BlockedAddress);
    expect(error?.message).toMatch(
      /^Refused: localhost resolves to (127\.0\.0\.1|::1), not a public address/,
    );
  });

  test('lets an allowed host resolve to a private address, in both forms', async () => {
    const many = await lookup('localhost', ['localhost'], true);
    expect(many.error).toBeNull();
    expect((many.address as LookupAddress[]).length).toBeGreaterThan(0);
    const one = await lookup('localhost', ['localhost'], false);
    expect(one.error).toBeNull();
    expect(typeof one.address).toBe('string');
  });
});
