import { createHash } from 'node:crypto';
import { type RateLimiterLike, RateLimiterRes } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors';
import type { MemoryFallback } from './memory-fallback';

export interface RateLimitSpec {
  /** The limit's name in the store (the library's keyPrefix): one name, one limit. */
  name: string;
  points: number;
  durationSeconds: number;
  /** What a refused caller reads (RATE_LIMITED). */
  message: string;
}

/** Where a key stands in its window. */
export interface LimitState {
  consumed: number;
  remaining: number;
  /** Until the window ends and the whole allowance is back (a whole window when nothing is counted). */
  msBeforeReset: number;
}

/** Keys longer than this are stored as their hash: the PostgreSQL store's keys are varchar(255). */
const LONGEST_STORED_KEY = 128;

function storedKey(key: string): string {
  return key.length <= LONGEST_STORED_KEY ? key : `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * One rate limit (points per window and key) counted by rate-limiter-flexible in the store its
 * RateLimitStore chose. A window starts at a key's first count and lasts durationSeconds (the
 * library's fixed window). While the store fails, the library counts in this process's memory (the
 * MemoryFallback); what was counted there still counts once the store is back.
 */
export class RateLimit {
  constructor(
    readonly spec: RateLimitSpec,
    private readonly memory: MemoryFallback,
    /** The store's limiter with memory as its insurance, or memory alone while the store cannot be opened. */
    private readonly limiter: () => Promise<RateLimiterLike>,
  ) {}

  get points(): number {
    return this.spec.points;
  }

  /** Counts points on key; RATE_LIMITED (with the time until the window ends) past the allowance. */
  async consume(key: string, points = 1): Promise<LimitState> {
    const outcome = await this.tryConsume(key, points);
    if (!outcome.allowed) throw this.refusal(outcome);
    return outcome;
  }

  /** Counts points on key and says whether that stayed within the allowance (refused points count too). */
  async tryConsume(key: string, points: number): Promise<LimitState & { allowed: boolean }> {
    const limiter = await this.limiter();
    let res: RateLimiterRes;
    try {
      res = await limiter.consume(storedKey(key), points);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      res = refusal;
    }
    const state = await this.withMemory(key, res);
    return { ...state, allowed: state.consumed <= this.spec.points };
  }

  /** RATE_LIMITED when key has used its whole allowance in this window; counts nothing. */
  async assertAllowed(key: string): Promise<void> {
    const state = await this.state(key);
    if (state.consumed >= this.spec.points) throw this.refusal(state);
  }

  /** Where key stands, counting nothing. */
  async state(key: string): Promise<LimitState> {
    const limiter = await this.limiter();
    return this.withMemory(key, await limiter.get(storedKey(key)));
  }

  /** Gives back points counted on key, when what they were counted for turned out not to count. */
  async reward(key: string, points = 1): Promise<void> {
    const limiter = await this.limiter();
    await limiter.reward(storedKey(key), points);
  }

  /** Forgets everything counted on key. */
  async clear(key: string): Promise<void> {
    const limiter = await this.limiter();
    await limiter.delete(storedKey(key));
    await this.memory.forget(storedKey(key));
  }

  /** The refusal of a caller whose key stands so. */
  refusal(state: LimitState): RateLimitedError {
    return new RateLimitedError(this.spec.message, state.msBeforeReset / 1000);
  }

  /** The store's answer plus what this process counted in memory while the store was failing. */
  private async withMemory(key: string, res: RateLimiterRes | null): Promise<LimitState> {
    const parts = [res];
    if (!this.memory.answered(res)) parts.push(await this.memory.held(storedKey(key)));
    // A memory record past its window may linger until its timer removes it: it counts for nothing.
    const live = parts.filter((part): part is RateLimiterRes => part !== null && part.msBeforeNext > 0);
    const consumed = live.reduce((sum, part) => sum + part.consumedPoints, 0);
    return {
      consumed,
      remaining: Math.max(this.spec.points - consumed, 0),
      msBeforeReset: live.length
        ? Math.max(...live.map((part) => part.msBeforeNext))
        : this.spec.durationSeconds * 1000,
    };
  }
}
