import pino from 'pino';
import {
  CountingLogger,
  asyncContextIsCheap,
  countQueries,
  runWithQueryTally,
  wantsQueryCounts,
} from './query-counter';

describe('asyncContextIsCheap', () => {
  it('is true from Node.js 24 on (AsyncContextFrame), unless turned off', () => {
    expect(asyncContextIsCheap('22.15.0', '')).toBe(false);
    expect(asyncContextIsCheap('20.20.2', '')).toBe(false);
    expect(asyncContextIsCheap('24.11.0', '')).toBe(true);
    expect(asyncContextIsCheap('26.0.0', '--max-old-space-size=300')).toBe(true);
    expect(asyncContextIsCheap('24.11.0', '--no-async-context-frame')).toBe(false);
  });
});

describe('wantsQueryCounts', () => {
  it('counts where it is free, in development and tests, and at LOG_LEVEL=debug', () => {
    expect(wantsQueryCounts({ nodeEnv: 'production', logLevel: 'info' }, true)).toBe(true);
    expect(wantsQueryCounts({ nodeEnv: 'test', logLevel: 'silent' }, false)).toBe(true);
    expect(wantsQueryCounts({ nodeEnv: 'development', logLevel: 'info' }, false)).toBe(true);
    expect(wantsQueryCounts({ nodeEnv: 'production', logLevel: 'debug' }, false)).toBe(true);
  });

  it('leaves them out of a production server on a Node.js where every promise would pay for them', () => {
    expect(wantsQueryCounts({ nodeEnv: 'production', logLevel: 'info' }, false)).toBe(false);
  });
});

describe('CountingLogger', () => {
  const logger = new CountingLogger(pino({ level: 'silent' }));

  it('counts the statements of the async work it wraps, however deep, and of no other', async () => {
    const deep = async () => {
      await Promise.resolve();
      logger.logQuery();
      await new Promise((resolve) => setImmediate(resolve));
      logger.logQueryError('failed', 'SELECT 1');
    };
    const other = countQueries(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      logger.logQuery();
    });
    const { queries } = await countQueries(async () => {
      logger.logQuery();
      await Promise.all([deep(), deep()]);
    });
    expect(queries).toBe(5);
    expect((await other).queries).toBe(1);
  });

  it('counts into the tally of the request that runs', async () => {
    const tally = { count: 0 };
    await runWithQueryTally(tally, async () => {
      await Promise.resolve();
      logger.logQuery();
    });
    logger.logQuery();
    expect(tally.count).toBe(1);
  });
});
