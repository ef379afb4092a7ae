import crypto from 'node:crypto';
import { loadOrCreateSecret } from '../auth/token-secret';
import type { Config } from '../config';

/**
 * One-click unsubscribe links (RFC 8058): `<userId>.<mac>`, the mac an HMAC-SHA256 of
 * `unsubscribe:<userId>`. Its key is derived from the token secret with HMAC, so the JWT key is never
 * used as is for anything else. A link only ever turns notifications off, so it needs no expiry.
 */
export class UnsubscribeTokens {
  private readonly key: Buffer;

  constructor(tokenSecret: string) {
    this.key = crypto
      .createHmac('sha256', tokenSecret)
      .update('simple-ticketing/unsubscribe-key/v1')
      .digest();
  }

  issue(userId: number): string {
    return `${userId}.${this.mac(userId).toString('base64url')}`;
  }

  /** The user id the token was issued for, or null for anything else. */
  verify(token: string): number | null {
    const match = /^([1-9]\d{0,15})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return null;
    const userId = Number(match[1]);
    if (!Number.isSafeInteger(userId)) return null;
    const given = Buffer.from(match[2], 'base64url');
    const expected = this.mac(userId);
    return given.length === expected.length && crypto.timingSafeEqual(given, expected) ? userId : null;
  }

  private mac(userId: number): Buffer {
    return crypto.createHmac('sha256', this.key).update(`unsubscribe:${userId}`).digest();
  }
}

const tokensByConfig = new WeakMap<object, UnsubscribeTokens>();

/** The service's unsubscribe tokens: keyed from JWT_SECRET or the secret kept in DATA_DIR, read once. */
export function unsubscribeTokensFor(config: Pick<Config, 'dataDir' | 'jwtSecret'>): UnsubscribeTokens {
  let tokens = tokensByConfig.get(config);
  if (!tokens) {
    tokens = new UnsubscribeTokens(loadOrCreateSecret(config.dataDir, config.jwtSecret));
    tokensByConfig.set(config, tokens);
  }
  return tokens;
}
