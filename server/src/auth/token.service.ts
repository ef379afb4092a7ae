import crypto from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import type { User } from '../users/user.entity';
import { RevokedToken } from './revoked-token.entity';

export interface TokenClaims {
  /** The user id. */
  sub: string;
  jti: string;
  /** The user's session version when issued: a password change invalidates older tokens. */
  sv: number;
  /** The instance id of the database that issued it: a token never outlives its database. */
  iid: string;
  exp: number;
}

/** 'ended': well signed, but for another database (deleted, replaced); read as a session that ended. */
export type TokenProblem = 'invalid' | 'expired' | 'ended';

/** Issues, verifies and revokes session tokens (JWT HS256, algorithm pinned). */
export class TokenService {
  /**
   * The secret as a key object, made once: given the string, jsonwebtoken tries it as a public key
   * (which throws) and then builds a key, at every sign and every verify.
   */
  private readonly key: crypto.KeyObject;

  constructor(
    private readonly database: Database,
    secret: string,
    readonly ttlSeconds: number,
    private readonly clock: Clock,
  ) {
    this.key = crypto.createSecretKey(Buffer.from(secret, 'utf8'));
  }

  issue(user: User): { token: string; expiresAt: Date; claims: TokenClaims } {
    // iat from the clock (jsonwebtoken would read the system's), and exp = iat + ttl.
    const issuedAt = this.nowSeconds();
    const claims: TokenClaims = {
      sub: String(user.id),
      jti: crypto.randomBytes(16).toString('hex'),
      sv: user.sessionVersion,
      iid: this.database.instanceId,
      exp: issuedAt + this.ttlSeconds,
    };
    const token = jwt.sign({ ...claims, iat: issuedAt }, this.key, { algorithm: 'HS256' });
    return { token, expiresAt: new Date(claims.exp * 1000), claims };
  }

  /** Checks signature, algorithm, expiry and database; not revocation (see isRevoked). */
  verify(token: string): TokenClaims | TokenProblem {
    try {
      const claims = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        clockTimestamp: this.nowSeconds(),
      });
      if (
        typeof claims !== 'object' ||
        typeof claims.sub !== 'string' ||
        !/^\d+$/.test(claims.sub) ||
        typeof claims.jti !== 'string' ||
        typeof claims.sv !== 'number' ||
        typeof claims.iid !== 'string' ||
        typeof claims.exp !== 'number'
      ) {
        return 'invalid';
      }
      if (claims.iid !== this.database.instanceId) return 'ended';
      return claims as TokenClaims;
    } catch (error) {
      return error instanceof jwt.TokenExpiredError ? 'expired' : 'invalid';
    }
  }

  async isRevoked(jti: string): Promise<boolean> {
    return (await this.database.manager.countBy(RevokedToken, { jti })) > 0;
  }

  async revoke(claims: TokenClaims): Promise<void> {
    await this.database.transaction(async (manager) => {
      await manager.upsert(RevokedToken, { jti: claims.jti, expiresAt: new Date(claims.exp * 1000) }, [
        'jti',
      ]);
      // Housekeeping: a revoked token past its expiry would be refused anyway.
      await manager
        .createQueryBuilder()
        .delete()
        .from(RevokedToken)
        .where('"expiresAt" < :now', { now: this.clock.now().getTime() })
        .execute();
    });
  }

  private nowSeconds(): number {
    return Math.floor(this.clock.now().getTime() / 1000);
  }
}
