import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger, QueryRunner } from 'typeorm';
import type { Logger as Pino } from 'pino';
import { isRetryableConflict } from './storage-fault';

export interface QueryTally {
  count: number;
}

const currentTally = new AsyncLocalStorage<QueryTally>();

/**
 * Whether AsyncLocalStorage costs (next to) nothing on this Node.js: from 24 on it is carried by
 * AsyncContextFrame; before, an active store turns on V8's promise hooks for every promise in the
 * process (29% of the CPU of a page of 50 tickets with their jobs on Node.js 20, measured).
 */
export function asyncContextIsCheap(
  nodeVersion = process.versions.node,
  flags = `${process.execArgv.join(' ')} ${process.env.NODE_OPTIONS ?? ''}`,
): boolean {
  return Number(nodeVersion.split('.')[0]) >= 24 && !flags.includes('--no-async-context-frame');
}

/**
 * Per-request SQL counts (the request log's `sql`, the tests that pin them) where they are free, and
 * wherever someone looks: development, tests, LOG_LEVEL=debug. A production server on Node.js 22
 * leaves them out rather than pay for them on every promise.
 */
export function wantsQueryCounts(
  config: { nodeEnv: string; logLevel: string },
  cheap = asyncContextIsCheap(),
): boolean {
  return cheap || config.nodeEnv !== 'production' || config.logLevel === 'debug';
}

let counting = true;

/** Set once at start-up (startServer); off, no request ever enters an async context for counting. */
export function setQueryCounting(on: boolean): void {
  counting = on;
}

export function queryCountingEnabled(): boolean {
  return counting;
}

/** Runs fn and counts the SQL statements it sends, however deep in the call tree they are issued. */
export async function countQueries<T>(fn: () => Promise<T>): Promise<{ result: T; queries: number }> {
  const tally: QueryTally = { count: 0 };
  const result = await currentTally.run(tally, fn);
  return { result, queries: tally.count };
}

/** Runs fn (and everything it starts asynchronously, e.g. the rest of an HTTP request) counting into tally. */
export function runWithQueryTally<T>(tally: QueryTally, fn: () => T): T {
  return currentTally.run(tally, fn);
}

/** TypeORM logger: counts statements per request and reports failures without their parameters. */
export class CountingLogger implements Logger {
  constructor(private readonly logger: Pino) {}

  logQuery(): void {
    const tally = currentTally.getStore();
    if (tally) tally.count += 1;
  }

  logQueryError(error: string | Error, query: string): void {
    const tally = currentTally.getStore();
    if (tally) tally.count += 1;
    const err = typeof error === 'string' ? error : error.message;
    // A transaction that lost to a concurrent one is run again (Database.transaction): not a failure.
    if (typeof error !== 'string' && isRetryableConflict(error)) {
      this.logger.debug({ err, query }, 'query lost to a concurrent transaction (it runs again)');
      return;
    }
    // Parameters may hold password hashes or personal data: only the statement is logged.
    this.logger.error({ err, query }, 'query failed');
  }

  logQuerySlow(time: number, query: string): void {
    this.logger.warn({ ms: time, query }, 'slow query');
  }

  logSchemaBuild(message: string): void {
    this.logger.debug(message);
  }

  logMigration(message: string): void {
    this.logger.info(message);
  }

  log(level: 'log' | 'info' | 'warn', message: unknown, _queryRunner?: QueryRunner): void {
    if (level === 'warn') this.logger.warn(String(message));
    else this.logger.debug(String(message));
  }
}
