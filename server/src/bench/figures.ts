/**
 * The bench's arithmetic and its table, apart from any process or socket so that it can be tested:
 * percentiles of recorded latencies, medians of runs, ratios to a baseline, goals met or not.
 */

/** The p-th percentile (0..100) of values by nearest rank; null when there are none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median of the numbers given, nulls left out (a run without a figure); null when none is left. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const present = values.filter(
    (value): value is number => typeof value === 'number' && !Number.isNaN(value),
  );
  if (present.length === 0) return null;
  const sorted = [...present].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? sorted[sorted.length - 1] : null,
  };
}

/** The service's figure over the baseline's; null when either is missing or the baseline is zero. */
export function ratio(service: number | null, baseline: number | null): number | null {
  if (service === null || baseline === null || baseline === 0) return null;
  return service / baseline;
}

/**
 * The median of each run's ratio to the baseline run made right after it: on a machine whose speed
 * swings from one run to the next (a shared host), a slow baseline run and a fast service run in
 * different moments made the ratio of the two medians swing with it (0.37× and 0.64× in two runs of the
 * same build); each pair is measured in the same moment. Null without pairs or with a zero baseline.
 */
export function pairedRatio(service: readonly number[], baseline: readonly number[]): number | null {
  const pairs = Math.min(service.length, baseline.length);
  const ratios: number[] = [];
  for (let index = 0; index < pairs; index++) {
    const one = ratio(service[index], baseline[index]);
    if (one === null) return null;
    ratios.push(one);
  }
  return median(ratios);
}

/** One run of a scenario, as the load process and the server's samples measured it. */
export interface RunFigures {
  requests: number;
  seconds: number;
  rps: number;
  latency: LatencySummary;
  /** Server CPU time (user + system) over the run, per answered request. */
  cpuMsPerRequest: number | null;
  rssPeakMb: number | null;
}

/** The medians of a scenario's runs, figure by figure. */
export interface ScenarioFigures {
  runs: number;
  rps: number | null;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  cpuMsPerRequest: number | null;
  rssPeakMb: number | null;
}

export function medianOfRuns(runs: readonly RunFigures[]): ScenarioFigures {
  return {
    runs: runs.length,
    rps: median(runs.map((run) => run.rps)),
    p50: median(runs.map((run) => run.latency.p50)),
    p95: median(runs.map((run) => run.latency.p95)),
    p99: median(runs.map((run) => run.latency.p99)),
    cpuMsPerRequest: median(runs.map((run) => run.cpuMsPerRequest)),
    rssPeakMb: median(runs.map((run) => run.rssPeakMb)),
  };
}

/**
 * A goal of issue 11: a figure of the scenario (or its ratio to the baseline) compared with a bound.
 * `at least` for throughput and ratios, `under` for latencies and memory.
 */
export interface Goal {
  figure: 'rps' | 'p50' | 'p95' | 'p99' | 'ratio' | 'rssPeakMb';
  kind: 'at least' | 'under';
  bound: number;
}

export type GoalVerdict = 'MET' | 'NOT MET' | 'n/a';

export function verdictOf(goal: Goal | undefined, value: number | null): GoalVerdict {
  if (!goal || value === null) return 'n/a';
  if (goal.kind === 'at least') return value >= goal.bound ? 'MET' : 'NOT MET';
  return value < goal.bound ? 'MET' : 'NOT MET';
}

export function describeGoal(goal: Goal | undefined): string {
  if (!goal) return '';
  const unit =
    goal.figure === 'ratio'
      ? '×'
      : goal.figure === 'rps'
        ? ' req/s'
        : goal.figure === 'rssPeakMb'
          ? ' MB'
          : ' ms';
  return `${goal.figure} ${goal.kind === 'at least' ? '≥' : '<'} ${goal.bound}${unit}`;
}

/** A number for the table: a dash when missing, no more digits than its size needs. */
export function formatNumber(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  const size = Math.abs(value);
  if (size >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString('en');
  if (size >= 10) return value.toFixed(1);
  if (size >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

/** A plain-text table, columns padded to their widest cell; numbers right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const isNumeric = (cell: string) => /^[-–0-9.,×]+$/.test(cell);
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (isNumeric(cell) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(line)].join('\n');
}
