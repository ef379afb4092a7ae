import { looksLikeApiToken } from '../api-tokens/api-token-secret';
import type { Database } from '../database/data-source';
import { TokenScope } from '../api-tokens/api-token.entity';
import { readRows } from '../loaders';
import { isDeactivated } from '../users/deactivation';
import { type UserRow, userColumns, userFromRow } from '../users/user-row';
import type { AuthProblem, Authenticator, PresentedCredential, Principal } from './principal';
import type { SessionCache } from './session-cache';
import type { TokenService } from './token.service';

const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Session JWTs, from the Authorization header or the session cookie. */
export class SessionAuthenticator implements Authenticator {
  constructor(
    private readonly database: Database,
    private readonly tokens: TokenService,
    private readonly cache: SessionCache,
  ) {}

  accepts(credential: PresentedCredential): boolean {
    return credential.from === 'cookie' || !looksLikeApiToken(credential.value);
  }

  async authenticate(credential: PresentedCredential): Promise<Principal | AuthProblem> {
    // Not even shaped like a JWT (a script's "Bearer undefined"): say what the header should hold.
    if (credential.from === 'header' && !JWT_SHAPE.test(credential.value)) return 'unrecognized';
    // Checked a moment ago, and nothing that could change the answer written since (session-cache.ts).
    const cached = this.cache.find(credential.value);
    if (cached) return { kind: 'session', user: cached.user, scope: TokenScope.WRITE, claims: cached.claims };
    const readingBegan = this.cache.current;
    const claims = this.tokens.verify(credential.value);
    if (typeof claims === 'string') return claims;
    // One statement: the user, unless this token was revoked by logout.
    const [row] = await readRows<UserRow>(
      this.database.manager,
      `SELECT ${userColumns} FROM "user" WHERE "id" = ? AND NOT EXISTS (SELECT 1 FROM "revoked_token" r WHERE r."jti" = ?)`,
      [Number(claims.sub), claims.jti],
    );
    const user = row ? userFromRow(row) : null;
    // Deactivation also bumps the session version; the flag is checked too, read in the same row.
    if (!user || user.sessionVersion !== claims.sv || isDeactivated(user)) return 'ended';
    this.cache.store(credential.value, readingBegan, user, claims);
    return { kind: 'session', user, scope: TokenScope.WRITE, claims };
  }
}
