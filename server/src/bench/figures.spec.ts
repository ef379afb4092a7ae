import {
  describeGoal,
  formatNumber,
  formatTable,
  median,
  medianOfRuns,
  percentile,
  pairedRatio,
  ratio,
  summarize,
  verdictOf,
} from './figures';

describe('bench figures', () => {
  test('percentiles by nearest rank, whatever the order of the values', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 95)).toBe(95);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile(values, 100)).toBe(100);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile([7], 95)).toBe(7);
    expect(percentile([], 50)).toBeNull();
  });

  test('p95 of few samples is their largest but one, not an interpolation', () => {
    expect(percentile([10, 20, 30, 40, 1000], 95)).toBe(1000);
    expect(
      percentile(
        Array.from({ length: 20 }, (_, i) => i + 1),
        95,
      ),
    ).toBe(19);
  });

  test('medians of runs: odd, even, runs without a figure left out', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([null, 5, undefined])).toBe(5);
    expect(median([null])).toBeNull();
  });

  test('a scenario takes the median of each figure of its runs', () => {
    const run = (rps: number, p50: number) => ({
      requests: rps,
      seconds: 1,
      rps,
      latency: { ...summarize([p50]), p95: p50 * 2 },
      cpuMsPerRequest: null,
      rssPeakMb: 100 + rps,
    });
    expect(medianOfRuns([run(10, 5), run(30, 1), run(20, 9)])).toEqual({
      runs: 3,
      rps: 20,
      p50: 5,
      p95: 10,
      p99: 5,
      cpuMsPerRequest: null,
      rssPeakMb: 120,
    });
  });

  test('ratio to the baseline, none without one', () => {
    expect(ratio(50, 200)).toBe(0.25);
    expect(ratio(50, null)).toBeNull();
    expect(ratio(50, 0)).toBeNull();
  });

  test('the ratio of runs made in the same moment: the median of the pairs, not the ratio of medians', () => {
    // A slow moment for the baseline's second run: the medians (200 / 300) would say 0.67.
    expect(pairedRatio([100, 200, 300], [250, 300, 750])).toBeCloseTo(0.4);
    expect(pairedRatio([100, 200], [400, 400])).toBeCloseTo(0.375);
    expect(pairedRatio([100], [])).toBeNull();
    expect(pairedRatio([100, 200], [400, 0])).toBeNull();
  });

  test('goals: at least for throughput and ratios, strictly under for latencies', () => {
    const ratioGoal = { figure: 'ratio', kind: 'at least', bound: 0.5 } as const;
    const latencyGoal = { figure: 'p95', kind: 'under', bound: 50 } as const;
    expect(verdictOf(ratioGoal, 0.5)).toBe('MET');
    expect(verdictOf(ratioGoal, 0.49)).toBe('NOT MET');
    expect(verdictOf(latencyGoal, 49.9)).toBe('MET');
    expect(verdictOf(latencyGoal, 50)).toBe('NOT MET');
    expect(verdictOf(latencyGoal, null)).toBe('n/a');
    expect(describeGoal(ratioGoal)).toBe('ratio ≥ 0.5×');
    expect(describeGoal(latencyGoal)).toBe('p95 < 50 ms');
  });

  test('numbers and a table padded to its columns', () => {
    expect(formatNumber(1544.4)).toBe('1,544');
    expect(formatNumber(12.345)).toBe('12.3');
    expect(formatNumber(0.1234)).toBe('0.123');
    expect(formatNumber(null)).toBe('–');
    expect(formatNumber(0)).toBe('0');
    expect(formatNumber(7)).toBe('7');
    expect(
      formatTable(
        ['name', 'req/s'],
        [
          ['page', '130'],
          ['ticket', '1,544'],
        ],
      ).split('\n'),
    ).toEqual(['name    req/s', '------  -----', 'page      130', 'ticket  1,544']);
  });
});
