import type { Database } from '../database/data-source';
import type { RateLimit } from '../limits/rate-limit';
import { rateLimitsOf } from '../limits/rate-limits-of';

export const LOGIN_FAILURE_LIMIT = 10;
export const LOGIN_FAILURE_WINDOW_MS = 15 * 60 * 1000;

/**
 * What failures are counted on: the login as typed (trimmed, any case, like username and email keys),
 * for known and unknown logins alike, so a lock on one spelling (a username) says nothing about another
 * (that account's email) nor about whether an account exists.
 */
export function throttleKey(login: string): string {
  return `login:${login.trim().toLowerCase()}`;
}

/**
 * Per-login brute-force protection for every password check (login, updateMe's currentPassword), in the
 * database's rate limit store, so it survives restarts and every instance of the service shares it:
 * after 10 wrong passwords within 15 minutes of the first, a key refuses every attempt, right password
 * included, until those 15 minutes are over. While the store fails (full disk), failures are counted in
 * memory and lock all the same.
 */
export class LoginThrottle {
  private readonly failures: RateLimit;

  // The clock is not read: the limit's window follows the system time, as the library does.
  constructor(database: Database) {
    this.failures = rateLimitsOf(database).limit({
      name: 'login-failures',
      points: LOGIN_FAILURE_LIMIT,
      durationSeconds: LOGIN_FAILURE_WINDOW_MS / 1000,
      message: 'Too many failed logins on this account. Try again later.',
    });
  }

  /**
   * One password check on key: RATE_LIMITED while the key is locked; a wrong password is counted, a
   * right one clears the key. Returns whether checkPassword found the password right.
   */
  async attempt(key: string, checkPassword: () => Promise<boolean>): Promise<boolean> {
    // Counted as a failure before the slow check, by the store's atomic upsert: parallel attempts, in
    // this process or another, cannot get more than 10 wrong passwords checked. A right one clears it.
    await this.failures.consume(key);
    let right: boolean;
    try {
      right = await checkPassword();
    } catch (error) {
      // No answer is not a wrong password.
      await this.failures.reward(key);
      throw error;
    }
    if (right) await this.failures.clear(key);
    return right;
  }

  /** Forgets key's failures: its owner proved control another way (a password reset link). */
  unlock(key: string): Promise<void> {
    return this.failures.clear(key);
  }
}
