import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** What one API token's request cost and what its hour has left: sent as extensions.cost. */
export interface OperationCost {
  requested: number;
  remaining: number;
  /** When the budget is whole again (ISO 8601). */
  resetAt: string;
}

export type BudgetOutcome =
  { ok: true; cost: OperationCost } | { ok: false; cost: OperationCost; retryAfterSeconds: number };

const WINDOW_SECONDS = 3600;

/**
 * Cost points per API token per hour (GitHub's and Shopify's model). A request that would go past the
 * budget is refused and spends nothing. Kept in process memory: one SQLite instance is one process.
 */
export class TokenBudget {
  private readonly limiter: RateLimiterMemory;

  constructor(readonly pointsPerHour: number) {
    this.limiter = new RateLimiterMemory({
      points: pointsPerHour,
      duration: WINDOW_SECONDS,
      keyPrefix: 'api-token',
    });
  }

  /** What is left, spending nothing: for a request refused before it runs (a READ token's mutation). */
  async peek(tokenId: number, requested: number): Promise<OperationCost> {
    const current = await this.limiter.get(String(tokenId));
    const spent = current?.consumedPoints ?? 0;
    const msLeft = current ? Math.max(current.msBeforeNext, 0) : WINDOW_SECONDS * 1000;
    return this.describe(requested, Math.max(this.pointsPerHour - spent, 0), msLeft);
  }

  async spend(tokenId: number, requested: number): Promise<BudgetOutcome> {
    const key = String(tokenId);
    const current = await this.limiter.get(key);
    const spent = current?.consumedPoints ?? 0;
    if (spent + requested > this.pointsPerHour) {
      const msLeft = current ? Math.max(current.msBeforeNext, 0) : WINDOW_SECONDS * 1000;
      return {
        ok: false,
        cost: this.describe(requested, Math.max(this.pointsPerHour - spent, 0), msLeft),
        retryAfterSeconds: Math.max(1, Math.ceil(msLeft / 1000)),
      };
    }
    try {
      const result = await this.limiter.consume(key, requested);
      return { ok: true, cost: this.describe(requested, result.remainingPoints, result.msBeforeNext) };
    } catch (refusal) {
      // Two requests raced past the check above: the later one is refused like any other.
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      await this.limiter.reward(key, requested);
      return {
        ok: false,
        cost: this.describe(requested, 0, refusal.msBeforeNext),
        retryAfterSeconds: Math.max(1, Math.ceil(refusal.msBeforeNext / 1000)),
      };
    }
  }

  private describe(requested: number, remaining: number, msBeforeReset: number): OperationCost {
    return { requested, remaining, resetAt: new Date(Date.now() + msBeforeReset).toISOString() };
  }
}
