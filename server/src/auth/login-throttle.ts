import type { Database } from '../database/data-source';
import { RateLimitedError } from '../errors';
import { LoginFailure } from './login-failure.entity';

export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/**
 * Per-account brute-force protection, kept in the database so it survives restarts: after 10 failed
 * logins within 15 minutes the account refuses every attempt, right password included, until the
 * oldest of them leaves the window. Attempts refused that way are not counted, so a lock ends on time.
 */
export class LoginThrottle {
  constructor(private readonly database: Database) {}

  async assertCanTry(userId: number, now = Date.now()): Promise<void> {
    const failures = await this.database.manager
      .createQueryBuilder(LoginFailure, 'f')
      .select('f.at', 'at')
      .where('f.userId = :userId AND f.at > :since', { userId, since: now - LOGIN_FAILURE_WINDOW_MS })
      .orderBy('f.at', 'DESC')
      .limit(LOGIN_FAILURE_LIMIT)
      .getRawMany<{ at: number | string }>();
    if (failures.length >= LOGIN_FAILURE_LIMIT) {
      const unlockAt = Number(failures[LOGIN_FAILURE_LIMIT - 1].at) + LOGIN_FAILURE_WINDOW_MS;
      throw new RateLimitedError(
        'Too many failed logins on this account. Try again later.',
        (unlockAt - now) / 1000,
      );
    }
  }

  async recordFailure(userId: number, now = Date.now()): Promise<void> {
    await this.database.transaction(async (manager) => {
      await manager.insert(LoginFailure, { userId, at: new Date(now) });
      await manager
        .createQueryBuilder()
        .delete()
        .from(LoginFailure)
        .where('"userId" = :userId AND "at" <= :since', { userId, since: now - LOGIN_FAILURE_WINDOW_MS })
        .execute();
    });
  }

  async clear(userId: number): Promise<void> {
    await this.database.manager.delete(LoginFailure, { userId });
  }
}
