import net from 'node:net';
import type { InputRule } from '../errors';
import { hostOf, isAllowedHost, isPublicAddress } from './address-guard';

export const MAX_URL_LENGTH = 2048;

export interface UrlProblem {
  rule: Extract<InputRule, 'format' | 'length' | 'notAllowed'>;
  message: string;
}

export type CheckedUrl = { url: URL; problem?: undefined } | { url?: undefined; problem: UrlProblem };

/**
 * Whether a webhook may be sent to this URL, asked at registration and again at each delivery (the
 * allow-list may have changed): absolute http(s) without credentials, https unless the host is allowed,
 * and an IP literal must be public unless allowed. A host name is resolved only when delivering.
 */
export function checkWebhookUrl(raw: string, allowHosts: readonly string[]): CheckedUrl {
  const format = (message: string): CheckedUrl => ({ problem: { rule: 'format', message } });
  const notAllowed = (message: string): CheckedUrl => ({ problem: { rule: 'notAllowed', message } });
  if (raw.length > MAX_URL_LENGTH) {
    return { problem: { rule: 'length', message: `url must be at most ${MAX_URL_LENGTH} characters long.` } };
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return format('url must be an absolute https URL, like https://hooks.example.com/ticketing.');
  }
  // Stored as parsed: each byte of a character outside ASCII becomes %XX, so "é" takes 6 of the 2048.
  if (url.href.length > MAX_URL_LENGTH) {
    return {
      problem: {
        rule: 'length',
        message: `url must be at most ${MAX_URL_LENGTH} characters long once encoded (it has ${url.href.length}: each byte of a character outside ASCII counts as 3).`,
      },
    };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    return format('url must be an absolute https URL, like https://hooks.example.com/ticketing.');
  }
  if (url.username || url.password) {
    return format('url must not carry a user name or password; receivers check the signature instead.');
  }
  const host = hostOf(url);
  if (isAllowedHost(host, allowHosts)) return { url };
  if (url.protocol === 'http:') {
    return notAllowed('url must use https; plain http is only for hosts listed in WEBHOOK_ALLOW_HOSTS.');
  }
  if (net.isIP(host) !== 0 && !isPublicAddress(host)) {
    return notAllowed(
      `url points to ${host}, which is not a public address; only hosts listed in WEBHOOK_ALLOW_HOSTS may be private.`,
    );
  }
  return { url };
}
