import { type Clock, DAY_MS } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { authProblemMessages } from '../auth/auth-checker';
import type { Principal } from '../auth/principal';
import { isDeactivated } from '../users/deactivation';
import { ApiToken } from './api-token.entity';
import type { CreateApiTokenInput, CreatedApiToken } from './api-token.inputs';
import { hashApiTokenSecret, isWellFormedApiTokenSecret, newApiTokenSecret } from './api-token-secret';

/** What a non-ADMIN gets when they name no expiry: a forgotten token stops working on its own. */
export const DEFAULT_EXPIRY_DAYS = 90;
/** Enough for every integration a person runs; a runaway script cannot fill the table. */
export const MAX_TOKENS_PER_USER = 50;
/** lastUsedAt is a hint for reviewing tokens, not an audit log: once a minute is precise enough. */
export const LAST_USED_PRECISION_MS = 60_000;

export type ApiTokenCheck = { token: ApiToken; user: User } | 'tokenInvalid' | 'tokenExpired';

/** Creates, lists, revokes and checks personal access tokens. */
export class ApiTokenService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly onError: (error: unknown, what: string) => void = () => undefined,
  ) {}

  /**
   * A token is made from a session, never from another token: a leaked token cannot mint itself a
   * successor that outlives its revocation or its expiry. No principal at all (a `login` earlier in the
   * same mutation signs the user in without one) is not a session either.
   */
  async create(principal: Principal | null, input: CreateApiTokenInput): Promise<CreatedApiToken> {
    if (principal?.kind !== 'session') {
      throw new ForbiddenError('API tokens are created from a signed-in session, not with another token.');
    }
    const owner = principal.user;
    const name = input.name.trim();
    const now = this.clock.now();
    const days = input.expiresInDays ?? (owner.role === Role.ADMIN ? null : DEFAULT_EXPIRY_DAYS);
    const secret = newApiTokenSecret();
    const apiToken = await this.database.transaction(async (manager) => {
      // The owner as committed now, not as the request was authenticated: a deactivation (which deletes
      // the tokens) or a password change (which ends the session) may have committed in between.
      const current = await manager.findOneBy(User, { id: owner.id });
      if (!current || isDeactivated(current) || current.sessionVersion !== principal.claims.sv) {
        throw new UnauthenticatedError(authProblemMessages.ended);
      }
      const existing = await manager.findBy(ApiToken, { userId: owner.id });
      if (existing.some((token) => token.name.toLowerCase() === name.toLowerCase())) {
        throw BadInputError.field('name', 'unique', `You already have a token named "${name}".`);
      }
      if (existing.length >= MAX_TOKENS_PER_USER) {
        throw BadInputError.field(
          'name',
          'limitReached',
          `You have ${MAX_TOKENS_PER_USER} tokens, the most one person may hold: revoke one you no longer use first.`,
        );
      }
      return manager.save(
        manager.create(ApiToken, {
          userId: owner.id,
          name,
          scope: input.scope,
          secretHash: hashApiTokenSecret(secret),
          createdAt: now,
          expiresAt: days === null ? null : new Date(now.getTime() + days * DAY_MS),
          lastUsedAt: null,
        }),
      );
    });
    return { secret, apiToken };
  }

  /** The user's own tokens, newest first. */
  list(owner: User): Promise<ApiToken[]> {
    return this.database.manager.find(ApiToken, {
      where: { userId: owner.id },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
  }

  /** One's own token, or (ADMIN) anyone's; someone else's answers like one that does not exist. */
  async revoke(actor: User, id: number): Promise<boolean> {
    return this.database.transaction(async (manager) => {
      const token = await manager.findOneBy(ApiToken, { id });
      if (!token || (token.userId !== actor.id && actor.role !== Role.ADMIN)) {
        throw new NotFoundError('API token', id);
      }
      await manager.delete(ApiToken, { id });
      return true;
    });
  }

  /**
   * The token and its owner as they are now, in one statement: a revoked token (deleted) or a removed
   * owner (the token goes with the account) is unknown; a demoted owner's token has the new role.
   */
  async check(secret: string): Promise<ApiTokenCheck> {
    if (!isWellFormedApiTokenSecret(secret)) return 'tokenInvalid';
    const token = await this.database.manager
      .createQueryBuilder(ApiToken, 'k')
      .innerJoinAndSelect('k.user', 'u')
      .where('k.secretHash = :hash', { hash: hashApiTokenSecret(secret) })
      .getOne();
    if (!token?.user) return 'tokenInvalid';
    const now = this.clock.now();
    if (token.expiresAt && token.expiresAt.getTime() <= now.getTime()) return 'tokenExpired';
    await this.noteUse(token, now);
    return { token, user: token.user };
  }

  /** Best effort: a database that cannot write now must not refuse a read made with a good token. */
  private async noteUse(token: ApiToken, now: Date): Promise<void> {
    if (token.lastUsedAt && now.getTime() - token.lastUsedAt.getTime() < LAST_USED_PRECISION_MS) return;
    try {
      await this.database.transaction((manager) =>
        manager.update(ApiToken, { id: token.id }, { lastUsedAt: now }),
      );
      token.lastUsedAt = now;
    } catch (error) {
      this.onError(error, 'recording an API token’s last use');
    }
  }
}
