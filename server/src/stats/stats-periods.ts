/** Bucket arithmetic for the per-week and per-day series, on timestamps in ms since the epoch (UTC). */

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;
/** The epoch (1970-01-01) was a Thursday: weeks are counted from Monday 1969-12-29 00:00 UTC. */
export const MONDAY_EPOCH_OFFSET_MS = -3 * DAY_MS;
/** Longest period a caller may ask for: it bounds the series at 261 weeks and 1,821 days. */
export const MAX_PERIOD_MS = 260 * WEEK_MS;

export interface BucketUnit {
  /** Bucket width in ms. */
  width: number;
  /** Any instant where a bucket starts. */
  origin: number;
  /** Buckets in the default period, the current one included. */
  defaultCount: number;
}

export const weeks: BucketUnit = { width: WEEK_MS, origin: MONDAY_EPOCH_OFFSET_MS, defaultCount: 26 };
export const days: BucketUnit = { width: DAY_MS, origin: 0, defaultCount: 30 };

/** Start of the bucket holding the instant; Math.floor keeps instants before the origin right. */
export function bucketStart(unit: BucketUnit, ms: number): number {
  return unit.origin + Math.floor((ms - unit.origin) / unit.width) * unit.width;
}

/** A series: `count` buckets from `firstStart`, counting only instants in [from, to). */
export interface SeriesPeriod {
  from: number;
  to: number;
  firstStart: number;
  count: number;
}

/**
 * The buckets covering [from, to). Without `to`, the period ends with the bucket holding `now`; without
 * `from`, it holds `defaultCount` whole buckets. An empty period still yields the bucket of `from`.
 */
export function seriesPeriod(
  unit: BucketUnit,
  from: Date | undefined,
  to: Date | undefined,
  now: Date,
): SeriesPeriod {
  const end = to ? to.getTime() : bucketStart(unit, now.getTime()) + unit.width;
  const start = from ? from.getTime() : bucketStart(unit, end - 1) - (unit.defaultCount - 1) * unit.width;
  const firstStart = bucketStart(unit, start);
  const lastStart = bucketStart(unit, Math.max(start, end - 1));
  return { from: start, to: end, firstStart, count: (lastStart - firstStart) / unit.width + 1 };
}
