import { MAX_ATTEMPTS, RETRY_DELAYS_MS, nextAttemptAfterFailure } from './retry-schedule';

const MINUTE = 60_000;
const at = new Date('2026-03-01T12:00:00Z');

describe('retry schedule', () => {
  test.each([
    [1, 1],
    [2, 5],
    [3, 15],
    [4, 30],
    [5, 60],
    [6, 120],
    [7, 240],
    [8, 480],
    [9, 480],
  ])('after failure %i the next try is %i minutes later', (failures, minutes) => {
    expect(nextAttemptAfterFailure(failures, at)?.getTime()).toBe(at.getTime() + minutes * MINUTE);
  });

  test('the 10th failure gives up', () => {
    expect(MAX_ATTEMPTS).toBe(10);
    expect(nextAttemptAfterFailure(10, at)).toBeNull();
    expect(nextAttemptAfterFailure(11, at)).toBeNull();
  });

  test('ten tries span about a day, at least eight of them', () => {
    const total = RETRY_DELAYS_MS.reduce((sum, delay) => sum + delay, 0);
    expect(total / 3_600_000).toBeCloseTo(23.85, 1);
    expect(MAX_ATTEMPTS).toBeGreaterThanOrEqual(8);
  });
});
