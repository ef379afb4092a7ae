import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface MemoryFallbackOptions {
  keyPrefix: string;
  points: number;
  duration: number;
}

/**
 * A limit's insuranceLimiter: the same points and window in this process's memory, which the library
 * asks while the store fails (full disk, lost connection). It tells the store each time it answers for
 * it, and recognises its own answers, so that a limit adds what it counted here to the store's count
 * once the store is back, never twice.
 */
export class MemoryFallback extends RateLimiterMemory {
  private readonly answers = new WeakSet<RateLimiterRes>();

  constructor(
    options: MemoryFallbackOptions,
    private readonly onAnswer: () => void,
  ) {
    super(options);
  }

  /** Whether res was given by this memory (the store had failed), rather than by the store. */
  answered(res: RateLimiterRes | null): boolean {
    return res !== null && this.answers.has(res);
  }

  /** What this memory holds for key, asked by the limit itself: not an answer for a failed store. */
  held(key: string): Promise<RateLimiterRes | null> {
    return super.get(key);
  }

  /** Forgets key, asked by the limit itself (it clears the store too). */
  forget(key: string): Promise<boolean> {
    return super.delete(key);
  }

  override consume(key: string | number, points?: number, options?: Record<string, unknown>) {
    return this.answer(super.consume(key, points, options));
  }

  override penalty(key: string | number, points?: number, options?: Record<string, unknown>) {
    return this.answer(super.penalty(key, points, options));
  }

  override reward(key: string | number, points?: number, options?: Record<string, unknown>) {
    return this.answer(super.reward(key, points, options));
  }

  override get(key: string | number, options?: Record<string, unknown>) {
    return this.answer(super.get(key, options));
  }

  override set(key: string | number, points: number, secDuration: number, options?: Record<string, unknown>) {
    return this.answer(super.set(key, points, secDuration, options));
  }

  override block(key: string | number, secDuration: number, options?: Record<string, unknown>) {
    return this.answer(super.block(key, secDuration, options));
  }

  override delete(key: string | number, options?: Record<string, unknown>) {
    return this.answer(super.delete(key, options));
  }

  private answer<T>(result: Promise<T>): Promise<T> {
    this.onAnswer();
    const mark = (value: unknown) => {
      if (value instanceof RateLimiterRes) this.answers.add(value);
    };
    return result.then(
      (value) => {
        mark(value);
        return value;
      },
      (refusal: unknown) => {
        mark(refusal);
        throw refusal;
      },
    );
  }
}
