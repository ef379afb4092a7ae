import dns from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether a webhook may reach this address without the administrator's say: a public unicast address
 * only. IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it is; IPv6 that embeds IPv4
 * in other ways (IPv4-compatible ::/96, NAT64, 6to4, Teredo) is refused, like every special range.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const ip = ipaddr.process(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).parts.slice(0, 6).every((part) => part === 0)) return false;
  return ip.range() === 'unicast';
}

/** A URL's host without the brackets of an IPv6 literal, lowercased: how WEBHOOK_ALLOW_HOSTS lists it. */
export function hostOf(url: URL): string {
  return url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

/** Hosts the administrator allowed (WEBHOOK_ALLOW_HOSTS) may be private and plain http, as written. */
export function isAllowedHost(host: string, allowHosts: readonly string[]): boolean {
  if (allowHosts.includes(host)) return true;
  // The same IPv6 address may be written several ways (::1, 0:0:0:0:0:0:0:1).
  if (!ipaddr.isValid(host)) return false;
  const normalized = ipaddr.parse(host).toNormalizedString();
  return allowHosts.some(
    (allowed) => ipaddr.isValid(allowed) && ipaddr.parse(allowed).toNormalizedString() === normalized,
  );
}

/** A delivery refused before any byte was sent: its address is not one a webhook may reach. */
export class BlockedAddress extends Error {}

export function blockedAddressMessage(host: string, address: string): string {
  return host === address
    ? `Refused: ${address} is not a public address (allow it with WEBHOOK_ALLOW_HOSTS)`
    : `Refused: ${host} resolves to ${address}, not a public address (allow the host with WEBHOOK_ALLOW_HOSTS)`;
}

/**
 * The lookup a delivery's connection uses: the addresses the host resolves to are checked right where
 * they are connected to, so a DNS answer that changes between a check and the connection (rebinding)
 * cannot slip through. Every address must be public, unless the host is allowed.
 */
export function guardedLookup(allowHosts: readonly string[]): LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const host = hostname.toLowerCase();
      if (!isAllowedHost(host, allowHosts)) {
        const refused = addresses.find((candidate) => !isPublicAddress(candidate.address));
        if (refused) return callback(new BlockedAddress(blockedAddressMessage(host, refused.address)), '');
      }
      if (addresses.length === 0) return callback(new Error(`${hostname} has no address`), '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
