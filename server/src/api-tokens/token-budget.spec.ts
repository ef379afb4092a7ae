import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteRateLimitStore } from '../limits/sqlite-rate-limit-store';
import { TokenBudget } from './token-budget';

describe('TokenBudget (points per token per hour)', () => {
  let folder: string;
  let limits: SqliteRateLimitStore;

  // The store's own file (what a service on SQLite counts in); the library reads the faked Date.
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2026-03-02T09:00:00Z') });
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'token-budget-'));
    limits = new SqliteRateLimitStore(path.join(folder, 'ticketing.limits.sqlite'));
  });
  afterEach(async () => {
    jest.useRealTimers();
    await limits.close();
    fs.rmSync(folder, { recursive: true, force: true });
  });

  test('spends per token, says what is left and when the hour ends', async () => {
    const budget = new TokenBudget(limits, 10);
    expect(await budget.spend(1, 4)).toEqual({
      ok: true,
      cost: { requested: 4, remaining: 6, resetAt: '2026-03-02T10:00:00.000Z' },
    });
    expect((await budget.spend(2, 1)).cost.remaining).toBe(9);
    expect((await budget.spend(1, 6)).cost.remaining).toBe(0);
  });

  test('a request past the budget is refused, spends nothing, and says when to retry', async () => {
    const budget = new TokenBudget(limits, 10);
    await budget.spend(1, 8);
    jest.advanceTimersByTime(20 * 60_000);
    const refused = await budget.spend(1, 3);
    expect(refused).toEqual({
      ok: false,
      cost: { requested: 3, remaining: 2, resetAt: '2026-03-02T10:00:00.000Z' },
      retryAfterSeconds: 40 * 60,
    });
    // Nothing was spent: a cheaper request still fits.
    expect((await budget.spend(1, 2)).ok).toBe(true);
  });

  test('the budget is whole again once its hour is over', async () => {
    const budget = new TokenBudget(limits, 10);
    await budget.spend(1, 10);
    expect((await budget.spend(1, 1)).ok).toBe(false);
    jest.advanceTimersByTime(60 * 60_000 + 1);
    expect(await budget.spend(1, 1)).toEqual({
      ok: true,
      cost: { requested: 1, remaining: 9, resetAt: '2026-03-02T11:00:00.001Z' },
    });
  });

  test('peek reports without spending', async () => {
    const budget = new TokenBudget(limits, 10);
    await budget.spend(1, 3);
    expect((await budget.peek(1, 5)).remaining).toBe(7);
    expect((await budget.peek(1, 5)).remaining).toBe(7);
  });
});

test('two budgets on one store (two instances of the service) spend from one hour of points', async () => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'token-budget-'));
  const file = path.join(folder, 'ticketing.limits.sqlite');
  const stores = [new SqliteRateLimitStore(file), new SqliteRateLimitStore(file)];
  try {
    const [first, second] = stores.map((store) => new TokenBudget(store, 10));
    expect((await first.spend(7, 6)).ok).toBe(true);
    expect(await second.peek(7, 1)).toMatchObject({ remaining: 4 });
    const refused = await second.spend(7, 5);
    expect(refused).toMatchObject({ ok: false, cost: { remaining: 4 } });
    expect((await second.spend(7, 4)).cost.remaining).toBe(0);
    expect((await first.spend(7, 1)).ok).toBe(false);
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    fs.rmSync(folder, { recursive: true, force: true });
  }
});
