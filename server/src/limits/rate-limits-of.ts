import type { Database } from '../database/data-source';
import { PostgresRateLimitStore } from './postgres-rate-limit-store';
import type { RateLimitStore } from './rate-limit-store';
import { SqliteRateLimitStore, limitsFileBeside } from './sqlite-rate-limit-store';

const stores = new WeakMap<Database, RateLimitStore>();

/**
 * The rate limits of a database, chosen by its kind: a table in it on PostgreSQL, a file beside it on
 * SQLite. One store per database in a process, whoever asks first (services, tests), closed by whoever
 * closes the database (the server's stop).
 */
export function rateLimitsOf(database: Database): RateLimitStore {
  let store = stores.get(database);
  if (!store) {
    store =
      database.dialect === 'postgres'
        ? new PostgresRateLimitStore(database.dataSource)
        : new SqliteRateLimitStore(limitsFileBeside(String(database.dataSource.options.database)));
    stores.set(database, store);
  }
  return store;
}
