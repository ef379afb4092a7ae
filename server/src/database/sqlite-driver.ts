import type BetterSqlite3 from 'better-sqlite3';

/**
 * The better-sqlite3 release this Node.js can run (README, Decisions): 13 (installed as better-sqlite3-13)
 * needs Node-API 10, from Node.js 22.14; 12 is the last for Node.js 20, and on Node.js 24 it aborts the
 * process when a statement is garbage-collected.
 */
export const sqliteModuleName: 'better-sqlite3-13' | 'better-sqlite3' =
  Number(process.versions.napi) >= 10 ? 'better-sqlite3-13' : 'better-sqlite3';

/** The better-sqlite3 module this process opens SQLite files with (TypeORM's `driver`, backups, tools). */
export function sqliteDriver(): typeof BetterSqlite3 {
  try {
    // Loaded on first use, by name: the other release's native binary must never load in this Node.js.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(sqliteModuleName) as typeof BetterSqlite3;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
    throw new Error(
      sqliteModuleName === 'better-sqlite3-13'
        ? `better-sqlite3 13 (package better-sqlite3-13) is not installed: install simple-ticketing again.`
        : `Node.js ${process.version} needs better-sqlite3 12, which did not install (it builds from source ` +
            `where no prebuilt binary fits: see npm's log). Node.js 22.15 or later runs the prebuilt better-sqlite3 13.`,
      { cause: error },
    );
  }
}

/** Opens a SQLite file with the module sqliteDriver() picks. */
export function openSqlite(file: string, options?: BetterSqlite3.Options): BetterSqlite3.Database {
  const Database = sqliteDriver();
  return new Database(file, options);
}
