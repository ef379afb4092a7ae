import crypto from 'node:crypto';
import { loadOrCreateSecret } from '../auth/token-secret';
import type { Config } from '../config';
import type { Database } from '../database/data-source';

/**
 * One-click unsubscribe links (RFC 8058): `<userId>.<mac>`, the mac an HMAC-SHA256 of
 * `unsubscribe:<instanceId>:<userId>`. Its key is derived from the token secret with HMAC, so the JWT
 * key is never used as is for anything else; the database's instance id binds a link to the database
 * it was issued for, so an old link never turns mail off for whoever later gets the same user id on a
 * replaced database. A link only ever turns notifications off, so it needs no expiry.
 */
export class UnsubscribeTokens {
  private readonly key: Buffer;

  constructor(
    tokenSecret: string,
    private readonly database: Pick<Database, 'instanceId'>,
  ) {
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
    return crypto
      .createHmac('sha256', this.key)
      .update(`unsubscribe:${this.database.instanceId}:${userId}`)
      .digest();
  }
}

const tokensByConfig = new WeakMap<object, UnsubscribeTokens>();

/**
 * At start-up (createServices): the service's unsubscribe tokens, keyed from JWT_SECRET or the secret
 * kept in DATA_DIR and bound to its database; unsubscribeTokensFor(config) returns them from then on.
 */
export function bindUnsubscribeTokens(
  config: Pick<Config, 'dataDir' | 'jwtSecret'>,
  database: Pick<Database, 'instanceId'>,
): UnsubscribeTokens {
  const tokens = new UnsubscribeTokens(loadOrCreateSecret(config.dataDir, config.jwtSecret), database);
  tokensByConfig.set(config, tokens);
  return tokens;
}

/** The tokens bound to this config at start-up (the renderer's, at sending time). */
export function unsubscribeTokensFor(config: Pick<Config, 'dataDir' | 'jwtSecret'>): UnsubscribeTokens {
  const tokens = tokensByConfig.get(config);
  if (!tokens) throw new Error('Unsubscribe tokens are bound to a database at start-up (createServices).');
  return tokens;
}
