import { bucketStart, days, seriesPeriod, weeks } from './stats-periods';

const at = (iso: string) => new Date(iso);
const ms = (iso: string) => Date.parse(iso);

describe('bucketStart', () => {
  it('puts an instant in the week starting Monday 00:00 UTC', () => {
    expect(bucketStart(weeks, ms('2025-11-20T15:00:00Z'))).toBe(ms('2025-11-17T00:00:00Z')); // a Thursday
    expect(bucketStart(weeks, ms('2025-11-17T00:00:00Z'))).toBe(ms('2025-11-17T00:00:00Z'));
    expect(bucketStart(weeks, ms('2025-11-23T23:59:59.999Z'))).toBe(ms('2025-11-17T00:00:00Z'));
    expect(bucketStart(weeks, ms('1970-01-01T12:00:00Z'))).toBe(ms('1969-12-29T00:00:00Z'));
    expect(bucketStart(weeks, ms('1969-12-28T12:00:00Z'))).toBe(ms('1969-12-22T00:00:00Z'));
  });

  it('puts an instant in its UTC day', () => {
    expect(bucketStart(days, ms('2025-11-20T23:59:59Z'))).toBe(ms('2025-11-20T00:00:00Z'));
    expect(bucketStart(days, ms('1969-12-31T23:00:00Z'))).toBe(ms('1969-12-31T00:00:00Z'));
  });
});

describe('seriesPeriod', () => {
  const now = at('2025-11-20T15:00:00Z');

  it('defaults to whole buckets ending with the current one', () => {
    expect(seriesPeriod(weeks, undefined, undefined, now)).toEqual({
      from: ms('2025-05-26T00:00:00Z'),
      to: ms('2025-11-24T00:00:00Z'),
      firstStart: ms('2025-05-26T00:00:00Z'),
      count: 26,
    });
    const daily = seriesPeriod(days, undefined, undefined, now);
    expect(daily.firstStart).toBe(ms('2025-10-22T00:00:00Z'));
    expect(daily.count).toBe(30);
  });

  it('covers an explicit period with partial first and last buckets', () => {
    const period = seriesPeriod(weeks, at('2025-11-05T00:00:00Z'), at('2025-11-19T12:00:00Z'), now);
    expect(period).toEqual({
      from: ms('2025-11-05T00:00:00Z'),
      to: ms('2025-11-19T12:00:00Z'),
      firstStart: ms('2025-11-03T00:00:00Z'),
      count: 3,
    });
  });

  it('leaves out the bucket that starts exactly at the end', () => {
    expect(seriesPeriod(days, at('2025-11-01T00:00:00Z'), at('2025-11-03T00:00:00Z'), now).count).toBe(2);
  });

  it('counts the default period back from an explicit end', () => {
    const period = seriesPeriod(days, undefined, at('2025-01-10T00:00:00Z'), now);
    expect(period.firstStart).toBe(ms('2024-12-11T00:00:00Z'));
    expect(period.count).toBe(30);
  });

  it('keeps one bucket for an empty period', () => {
    const instant = at('2025-11-03T00:00:00Z');
    expect(seriesPeriod(weeks, instant, instant, now).count).toBe(1);
  });
});
