import { RateLimiterPostgres } from 'rate-limiter-flexible';
import type { DataSource } from 'typeorm';
import { RATE_LIMIT_TABLE, RateLimitStore, type StoreLimiterOptions } from './rate-limit-store';

/**
 * The limits of a PostgreSQL database, in its table rate_limit, counted by the library's atomic upsert
 * on TypeORM's pool (storeType 'typeorm': each statement takes a pooled connection of its own, outside
 * the service's transactions). Every instance of the service on that database shares the counts.
 */
export class PostgresRateLimitStore extends RateLimitStore {
  constructor(private readonly dataSource: DataSource) {
    super();
  }

  protected async open(): Promise<void> {
    // The library makes its table (CREATE TABLE IF NOT EXISTS) when told it is not there yet; a
    // migration that made it first leaves nothing to do.
    await new Promise<void>((resolve, reject) => {
      new RateLimiterPostgres(
        {
          storeClient: this.dataSource,
          storeType: 'typeorm',
          tableName: RATE_LIMIT_TABLE,
          points: 1,
          duration: 1,
          clearExpiredByTimeout: false,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  protected createLimiter(options: StoreLimiterOptions): RateLimiterPostgres {
    return new RateLimiterPostgres({
      ...options,
      storeClient: this.dataSource,
      storeType: 'typeorm',
      tableCreated: true,
      clearExpiredByTimeout: false,
    });
  }

  /** The pool is the DataSource's, closed with it. */
  protected async release(): Promise<void> {}
}
