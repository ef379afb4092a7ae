import { EventEmitter } from 'node:events';
import type { RateLimiterAbstract, RateLimiterLike } from 'rate-limiter-flexible';
import { MemoryFallback } from './memory-fallback';
import { RateLimit, type RateLimitSpec } from './rate-limit';

/** The one table every limit of a store counts in, each under its name (the library's keyPrefix). */
export const RATE_LIMIT_TABLE = 'rate_limit';

/** What a store's limiter is built from: one limit, its insurance, the shared table. */
export interface StoreLimiterOptions {
  keyPrefix: string;
  points: number;
  duration: number;
  insuranceLimiter: MemoryFallback;
  tableName: string;
}

/** A store that could not be opened is tried again after this long; meanwhile limits count in memory. */
const REOPEN_AFTER_MS = 30_000;
/** Rows whose window ended over an hour ago are deleted this often (the library's own timer's figures). */
const SWEEP_EVERY_MS = 5 * 60_000;
const SWEEP_EXPIRED_FOR_MS = 3_600_000;
/** A store failing on every request is reported at most this often. */
const FALLBACK_REPORT_EVERY_MS = 60_000;

/**
 * Where the rate limits of one database are counted, by rate-limiter-flexible, so that every process
 * on that database shares them. Opened by the first count, not at start-up (a service started on a
 * nearly full disk must still start and read); a store that cannot be opened or fails leaves the limits
 * counting in this process's memory (reported by the 'fault' event), never an error answered.
 */
export abstract class RateLimitStore extends EventEmitter<{ fault: [error: unknown] }> {
  private readonly limits = new Map<string, RateLimit>();
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private opened = false;
  private opening: Promise<void> | null = null;
  private failedAt = -Infinity;
  private closed = false;
  private lastSweep = Date.now();
  private lastFallbackReport = -Infinity;

  /** Opens the store (connection, table through the library). */
  protected abstract open(): Promise<void>;

  /** A limiter of this store's kind; the table exists. */
  protected abstract createLimiter(options: StoreLimiterOptions): RateLimiterAbstract;

  /** Releases what open() took. */
  protected abstract release(): Promise<void>;

  /**
   * The limit named spec.name: the same object for the same name, so that every service of a process
   * counts in one place, as every process does in the store.
   */
  limit(spec: RateLimitSpec): RateLimit {
    const existing = this.limits.get(spec.name);
    if (existing) {
      const { points, durationSeconds } = existing.spec;
      if (points !== spec.points || durationSeconds !== spec.durationSeconds) {
        throw new Error(`The rate limit ${spec.name} is already defined with other figures.`);
      }
      return existing;
    }
    const memory = new MemoryFallback(
      { keyPrefix: spec.name, points: spec.points, duration: spec.durationSeconds },
      () => this.reportFallback(spec.name),
    );
    const limit = new RateLimit(spec, memory, () => this.limiterFor(spec, memory));
    this.limits.set(spec.name, limit);
    return limit;
  }

  /** Opens the store now rather than at its first count; false if it could not (a 'fault' says why). */
  prepare(): Promise<boolean> {
    return this.ready();
  }

  /** Stops using the store (the service stops): what still counts does so in memory. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.opening;
    this.opened = false;
    this.limiters.clear();
    await this.release();
  }

  private async limiterFor(spec: RateLimitSpec, memory: MemoryFallback): Promise<RateLimiterLike> {
    if (!(await this.ready()) || this.closed) return memory;
    let limiter = this.limiters.get(spec.name);
    if (!limiter) {
      limiter = this.createLimiter({
        keyPrefix: spec.name,
        points: spec.points,
        duration: spec.durationSeconds,
        insuranceLimiter: memory,
        tableName: RATE_LIMIT_TABLE,
      });
      this.limiters.set(spec.name, limiter);
    }
    this.sweepNowAndThen(limiter);
    return limiter;
  }

  private async ready(): Promise<boolean> {
    if (this.opened) return true;
    if (this.closed) return false;
    if (!this.opening) {
      if (Date.now() - this.failedAt < REOPEN_AFTER_MS) return false;
      this.opening = this.open()
        .then(
          () => {
            this.opened = true;
          },
          (error: unknown) => {
            this.failedAt = Date.now();
            this.emit('fault', error);
          },
        )
        .finally(() => {
          this.opening = null;
        });
    }
    await this.opening;
    return this.opened;
  }

  /** Deletes long-expired rows every few minutes, from a request that is counting anyway (no timer to stop). */
  private sweepNowAndThen(limiter: RateLimiterAbstract): void {
    const now = Date.now();
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    // clearExpired is the library's (what its clearExpiredByTimeout timer calls); its types omit it.
    const sweepable = limiter as unknown as { clearExpired(expiredBefore: number): Promise<void> };
    void Promise.resolve()
      .then(() => sweepable.clearExpired(now - SWEEP_EXPIRED_FOR_MS))
      .catch((error: unknown) => this.emit('fault', error));
  }

  private reportFallback(name: string): void {
    const now = Date.now();
    if (now - this.lastFallbackReport < FALLBACK_REPORT_EVERY_MS) return;
    this.lastFallbackReport = now;
    this.emit(
      'fault',
      new Error(`the rate limit store failed: ${name} (and any other limit) counts in this process's memory`),
    );
  }
}
