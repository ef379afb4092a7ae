import type { Database } from '../database/data-source';
import { RateLimitedError } from '../errors';
import { normalizeKey } from '../users/user.service';
import { LoginFailure } from './login-failure.entity';

export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/** What failures are counted on: the account when the login names one, else the login as typed (any case). */
export function throttleKey(user: { id: number } | null, login: string): string {
  return user ? `user:${user.id}` : `login:${normalizeKey(login)}`;
}

/**
 * Per-account brute-force protection, kept in the database so it survives restarts: after 10 failed
 * logins within 15 minutes the account refuses every attempt, right password included, until the
 * oldest of them leaves the window. Attempts refused that way are not counted, so a lock ends on time.
 * A login that matches no account locks the same way, so a lock never tells which accounts exist.
 */
export class LoginThrottle {
  constructor(private readonly database: Database) {}

  /** Throws RATE_LIMITED while key is locked; otherwise returns how many recent failures it has. */
  async assertCanTry(key: string, now = Date.now()): Promise<number> {
    const failures = await this.database.manager
      .createQueryBuilder(LoginFailure, 'f')
      .select('f.at', 'at')
      .where('f.key = :key AND f.at > :since', { key, since: now - LOGIN_FAILURE_WINDOW_MS })
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
    return failures.length;
  }

  async recordFailure(key: string, now = Date.now()): Promise<void> {
    await this.database.transaction(async (manager) => {
      await manager.insert(LoginFailure, { key, at: new Date(now) });
      // Housekeeping for every key: failures of unknown logins are rarely tried again.
      await manager
        .createQueryBuilder()
        .delete()
        .from(LoginFailure)
        .where('"at" <= :since', { since: now - LOGIN_FAILURE_WINDOW_MS })
        .execute();
    });
  }

  async clear(key: string): Promise<void> {
    await this.database.transaction((manager) => manager.delete(LoginFailure, { key }));
  }
}
