import BetterSqlite3 from 'better-sqlite3';

/** The better-sqlite3 module this process opens SQLite files with (TypeORM's `driver`, backups, tools). */
export function sqliteDriver(): typeof BetterSqlite3 {
  return BetterSqlite3;
}
