import { HOUR_MS as HOUR, MINUTE_MS as MINUTE } from '../clock';

/**
 * The wait after the 1st, 2nd … 9th failed try: 10 tries over about a day (23 h 51 min), so an SMTP
 * outage of a few hours costs a delay, not the message; after the 10th failure it is FAILED.
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  1 * MINUTE,
  5 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  8 * HOUR,
];

export const MAX_ATTEMPTS = RETRY_DELAYS_MS.length + 1;

/** When to try again after the given number of failed tries, or null: give up (FAILED). */
export function nextAttemptAfterFailure(failedAttempts: number, failedAt: Date): Date | null {
  if (failedAttempts >= MAX_ATTEMPTS) return null;
  const delay = RETRY_DELAYS_MS[Math.max(failedAttempts, 1) - 1];
  return new Date(failedAt.getTime() + delay);
}
