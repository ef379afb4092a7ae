import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { StorageUnavailableError } from '../database/storage-fault';
import { RateLimitedError } from '../errors';
import { KeyedLock } from './keyed-lock';
import { LoginFailure } from './login-failure.entity';

export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;
/** Keys with failures kept in memory before expired ones are swept (as SlidingWindowLimiter does). */
const UNSAVED_KEYS_BEFORE_PRUNE = 10_000;

/**
 * What failures are counted on: the login as typed (trimmed, any case, like username and email keys),
 * for known and unknown logins alike, so a lock on one spelling (a username) says nothing about another
 * (that account's email) nor about whether an account exists. Rows keyed `user:<id>` by the migration
 * LoginAttempts1764600000000 are no longer read: they simply age out of the 15-minute window.
 */
export function throttleKey(login: string): string {
  return `login:${login.trim().toLowerCase()}`;
}

/**
 * Per-login brute-force protection for every password check (login, updateMe's currentPassword), kept
 * in the database so it survives restarts: after 10 wrong passwords within 15 minutes a key refuses
 * every attempt, right password included, until the oldest of them leaves the window. Attempts refused
 * that way are not counted, so a lock ends on time. Failures the database cannot take (full disk) are
 * kept in memory and count all the same. One instance per process, shared by the services that check.
 */
export class LoginThrottle {
  // Checks on one key run one after the other, so parallel requests cannot overshoot its limit.
  private readonly lock = new KeyedLock();
  /** Failures the database refused, per key: counted until a later write saves them or they expire. */
  private readonly unsaved = new Map<string, number[]>();

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * One password check on key: RATE_LIMITED while the key is locked; a wrong password is counted, a
   * right one clears the key. Returns whether checkPassword found the password right.
   */
  attempt(key: string, checkPassword: () => Promise<boolean>): Promise<boolean> {
    return this.lock.run(key, async () => {
      const recentFailures = await this.assertCanTry(key, this.clock.now().getTime());
      if (!(await checkPassword())) {
        await this.recordFailure(key, this.clock.now().getTime());
        return false;
      }
      if (recentFailures > 0) await this.clear(key);
      return true;
    });
  }

  /** Forgets key's failures: its owner proved control another way (a password reset link). */
  unlock(key: string): Promise<void> {
    return this.lock.run(key, () => this.clear(key));
  }

  /** Throws RATE_LIMITED while key is locked; otherwise returns how many recent failures it has. */
  private async assertCanTry(key: string, now: number): Promise<number> {
    const saved = await this.database.manager
      .createQueryBuilder(LoginFailure, 'f')
      .select('f.at', 'at')
      .where('f.key = :key AND f.at > :since', { key, since: now - LOGIN_FAILURE_WINDOW_MS })
      .orderBy('f.at', 'DESC')
      .limit(LOGIN_FAILURE_LIMIT)
      .getRawMany<{ at: number | string }>();
    const failures = [...saved.map((row) => Number(row.at)), ...this.recentUnsaved(key, now)].sort(
      (a, b) => b - a,
    );
    if (failures.length >= LOGIN_FAILURE_LIMIT) {
      const unlockAt = failures[LOGIN_FAILURE_LIMIT - 1] + LOGIN_FAILURE_WINDOW_MS;
      throw new RateLimitedError(
        'Too many failed logins on this account. Try again later.',
        (unlockAt - now) / 1000,
      );
    }
    return failures.length;
  }

  /**
   * Saves the failure with the key's earlier unsaved ones. When the database cannot take it, it is kept
   * in memory instead: the wrong password answers as always and the lock still comes after 10.
   */
  private async recordFailure(key: string, now: number): Promise<void> {
    const failures = [...this.recentUnsaved(key, now), now];
    try {
      await this.database.transaction(async (manager) => {
        await manager.insert(
          LoginFailure,
          failures.map((at) => ({ key, at: new Date(at) })),
        );
        // Housekeeping for every key: failures of unknown logins are rarely tried again.
        await manager
          .createQueryBuilder()
          .delete()
          .from(LoginFailure)
          .where('"at" <= :since', { since: now - LOGIN_FAILURE_WINDOW_MS })
          .execute();
      });
      this.unsaved.delete(key);
    } catch (error) {
      if (!(error instanceof StorageUnavailableError)) throw error;
      this.unsaved.set(key, failures);
      if (this.unsaved.size > UNSAVED_KEYS_BEFORE_PRUNE) this.pruneUnsaved(now);
    }
  }

  private async clear(key: string): Promise<void> {
    this.unsaved.delete(key);
    try {
      await this.database.transaction((manager) => manager.delete(LoginFailure, { key }));
    } catch (error) {
      // A right password still signs in while the disk is full; the saved failures then age out.
      if (!(error instanceof StorageUnavailableError)) throw error;
    }
  }

  private recentUnsaved(key: string, now: number): number[] {
    return (this.unsaved.get(key) ?? []).filter((at) => at > now - LOGIN_FAILURE_WINDOW_MS);
  }

  private pruneUnsaved(now: number): void {
    for (const key of this.unsaved.keys()) {
      if (this.recentUnsaved(key, now).length === 0) this.unsaved.delete(key);
    }
  }
}
