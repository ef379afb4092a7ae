import { SlidingWindowLimiter } from './sliding-window-limiter';

describe('SlidingWindowLimiter', () => {
  test('allows the limit, then refuses with the time until the oldest event leaves the window', () => {
    const limiter = new SlidingWindowLimiter(3, 60_000, 'slow down');
    limiter.hit('a', 0);
    limiter.hit('a', 10_000);
    limiter.hit('a', 20_000);
    expect(() => limiter.hit('a', 30_000)).toThrow(
      expect.objectContaining({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 30 } }),
    );
    expect(() => limiter.hit('b', 30_000)).not.toThrow();
    expect(() => limiter.hit('a', 60_001)).not.toThrow();
  });

  test('release gives back a slot that hit reserved, so the next attempt passes again', () => {
    const limiter = new SlidingWindowLimiter(2, 60_000, 'slow down');
    limiter.hit('a', 0);
    const reserved = limiter.hit('a', 1000);
    expect(() => limiter.hit('a', 2000)).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'RATE_LIMITED' }) }),
    );
    limiter.release('a', reserved);
    expect(() => limiter.hit('a', 3000)).not.toThrow();
    expect(() => limiter.hit('a', 4000)).toThrow();
  });
});
