import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { sqliteDriver } from '../database/sqlite-driver';
import { RATE_LIMIT_TABLE, RateLimitStore, type StoreLimiterOptions } from './rate-limit-store';

/**
 * A limit waits at most this long for another process's write to the file, blocking the event loop
 * (better-sqlite3 is synchronous): a write takes microseconds, and past this the limit counts in memory.
 */
const BUSY_TIMEOUT_MS = 250;

/** `ticketing.sqlite` → `ticketing.limits.sqlite`, in the same folder. */
export function limitsFileBeside(databaseFile: string): string {
  const name = path.basename(databaseFile).replace(/\.(sqlite3?|db)$/i, '');
  return path.join(path.dirname(databaseFile), `${name}.limits.sqlite`);
}

/**
 * The limits of an SQLite database, in a file of their own beside it, on a connection of their own:
 * the service's connection is held across awaits by its transactions, and a limit counted there would
 * land in someone else's transaction (and be rolled back with it). Every process that opens the same
 * database opens the same limits file, so they share their counts.
 */
export class SqliteRateLimitStore extends RateLimitStore {
  private db: BetterSqlite3.Database | null = null;

  constructor(readonly file: string) {
    super();
  }

  /** The limits file's own connection, once the store is open (a fault test fills it as a full disk). */
  get connection(): BetterSqlite3.Database | null {
    return this.db;
  }

  protected async open(): Promise<void> {
    this.db ??= this.connect();
    const connection = this.db;
    // The library makes its table (CREATE TABLE IF NOT EXISTS) when told it is not there yet.
    await new Promise<void>((resolve, reject) => {
      new RateLimiterSQLite(
        {
          storeClient: connection,
          storeType: 'better-sqlite3',
          tableName: RATE_LIMIT_TABLE,
          points: 1,
          duration: 1,
          clearExpiredByTimeout: false,
        },
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  protected createLimiter(options: StoreLimiterOptions): RateLimiterSQLite {
    return new RateLimiterSQLite({
      ...options,
      storeClient: this.db,
      storeType: 'better-sqlite3',
      tableCreated: true,
      clearExpiredByTimeout: false,
    });
  }

  protected async release(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  private connect(): BetterSqlite3.Database {
    // Logins, addresses and emails: as private as the database (0600), and so are its -wal and -shm.
    fs.closeSync(fs.openSync(this.file, 'a', 0o600));
    if ((fs.statSync(this.file).mode & 0o077) !== 0) fs.chmodSync(this.file, 0o600);
    const Driver = sqliteDriver();
    const connection = new Driver(this.file);
    try {
      connection.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      connection.pragma('journal_mode = WAL');
      // A power cut may lose the last counts, never the file: limits need no more.
      connection.pragma('synchronous = NORMAL');
      return connection;
    } catch (error) {
      connection.close();
      throw error;
    }
  }
}
