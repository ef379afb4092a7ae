import { RateLimitedError } from '../errors';

/** Counts events per key over a sliding window, in memory (one process); callers give the time (their clock). */
export class SlidingWindowLimiter {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly message: string,
  ) {}

  /**
   * Throws RATE_LIMITED when key already used its allowance; otherwise counts one event at once, so
   * parallel requests cannot all pass the check. Returns the event's time, for release.
   */
  hit(key: string, now: number): number {
    this.assertAllowed(key, now);
    this.record(key, now);
    return now;
  }

  /** Gives back an event counted by hit, when what it reserved a slot for turned out not to count. */
  release(key: string, at: number): void {
    const events = this.events.get(key);
    const index = events?.lastIndexOf(at) ?? -1;
    if (index < 0) return;
    events!.splice(index, 1);
    if (events!.length === 0) this.events.delete(key);
  }

  assertAllowed(key: string, now: number): void {
    const recent = this.recent(key, now);
    if (recent.length >= this.limit) {
      throw new RateLimitedError(
        this.message,
        (recent[recent.length - this.limit] + this.windowMs - now) / 1000,
      );
    }
  }

  record(key: string, now: number): void {
    this.events.set(key, [...this.recent(key, now), now]);
    if (this.events.size > 10_000) this.prune(now);
  }

  private recent(key: string, now: number): number[] {
    return (this.events.get(key) ?? []).filter((at) => at > now - this.windowMs);
  }

  private prune(now: number): void {
    for (const key of this.events.keys()) {
      if (this.recent(key, now).length === 0) this.events.delete(key);
    }
  }
}
