import type { LimitState, RateLimit } from '../limits/rate-limit';
import type { RateLimitStore } from '../limits/rate-limit-store';

/** What one API token's request cost and what its hour has left: sent as extensions.cost. */
export interface OperationCost {
  requested: number;
  remaining: number;
  /** When the budget is whole again (ISO 8601). */
  resetAt: string;
}

export type BudgetOutcome =
  { ok: true; cost: OperationCost } | { ok: false; cost: OperationCost; retryAfterSeconds: number };

/**
 * Cost points per API token per hour (GitHub's and Shopify's model), counted in the database's rate
 * limit store, so every instance of the service spends from one budget. A request that would go past
 * the budget is refused and spends nothing.
 */
export class TokenBudget {
  private readonly budget: RateLimit;

  constructor(
    limits: RateLimitStore,
    readonly pointsPerHour: number,
  ) {
    this.budget = limits.limit({
      name: 'api-token-budget',
      points: pointsPerHour,
      durationSeconds: 3600,
      message: 'This API token has spent its points for this hour.',
    });
  }

  /** What is left, spending nothing: for a request refused before it runs (a READ token's mutation). */
  async peek(tokenId: number, requested: number): Promise<OperationCost> {
    return this.describe(requested, await this.budget.state(String(tokenId)));
  }

  async spend(tokenId: number, requested: number): Promise<BudgetOutcome> {
    const key = String(tokenId);
    const current = await this.budget.state(key);
    if (current.consumed + requested > this.pointsPerHour) return this.refusal(requested, current);
    const outcome = await this.budget.tryConsume(key, requested);
    if (outcome.allowed) return { ok: true, cost: this.describe(requested, outcome) };
    // Another request (here or in another instance) spent the rest meanwhile: refused like any other.
    await this.budget.reward(key, requested);
    return this.refusal(requested, { ...outcome, remaining: 0 });
  }

  private refusal(requested: number, state: LimitState): BudgetOutcome {
    return {
      ok: false,
      cost: this.describe(requested, state),
      retryAfterSeconds: Math.max(1, Math.ceil(state.msBeforeReset / 1000)),
    };
  }

  private describe(requested: number, state: LimitState): OperationCost {
    return {
      requested,
      remaining: state.remaining,
      resetAt: new Date(Date.now() + state.msBeforeReset).toISOString(),
    };
  }
}
