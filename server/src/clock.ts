/**
 * Where the rules get the time: one clock per process, injected, so that tests set it (coalescing
 * windows, retry back-off, token expiry) instead of waiting.
 */
export interface Clock {
  now(): Date;
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const systemClock: Clock = { now: () => new Date() };

/** A clock that only moves when told to: tests. */
export class ManualClock implements Clock {
  private at: number;

  constructor(start: Date | number = Date.now()) {
    this.at = typeof start === 'number' ? start : start.getTime();
  }

  now(): Date {
    return new Date(this.at);
  }

  set(to: Date | number): void {
    this.at = typeof to === 'number' ? to : to.getTime();
  }

  advance(ms: number): void {
    this.at += ms;
  }
}
