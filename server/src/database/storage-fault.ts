/**
 * SQLite result codes that mean the database cannot take a write right now, whatever the statement:
 * no space, an I/O failure, a read-only file or filesystem, a damaged file, another process holding
 * the lock past the busy timeout. Anything else (a constraint, a bug) is not a storage fault.
 */
const STORAGE_CODES = /^SQLITE_(FULL|IOERR|READONLY|CORRUPT|NOTADB|CANTOPEN|BUSY|LOCKED|NOMEM|PROTOCOL)/;

/** The SQLite code of an error thrown by better-sqlite3, directly or wrapped by TypeORM. */
export function sqliteCodeOf(error: unknown): string | undefined {
  if (error instanceof StorageUnavailableError) return sqliteCodeOf(error.fault);
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = candidate?.driverError?.code ?? candidate?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : undefined;
}

export function isStorageFault(error: unknown): boolean {
  return STORAGE_CODES.test(sqliteCodeOf(error) ?? '');
}

/** What an operator should do about a storage fault, in one sentence. */
export function storageAdvice(code: string | undefined): string {
  if (!code) return 'Check the database file and its folder.';
  if (code.startsWith('SQLITE_FULL')) return 'The disk is full: free some space.';
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) {
    return 'Make the data folder and its files writable by the user running the service, on a filesystem mounted read-write.';
  }
  if (code.startsWith('SQLITE_NOTADB')) {
    return 'Check that DATABASE_URL names the right file; if it does, the file is damaged: restore the latest backup (or move the file away to start empty).';
  }
  if (code.startsWith('SQLITE_CORRUPT')) {
    return 'The file is damaged: with the service stopped, restore the latest backup (or move the file away to start empty).';
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return 'Another process holds the database: make sure only one service (or tool) writes to it.';
  }
  return 'Check the disk and the database file.';
}

/**
 * The database could not take a write (disk full, read-only, damaged, locked by another process): the
 * transaction was rolled back, so nothing of the change was saved and the client may retry. A domain
 * error: formatError maps it to the API's INTERNAL_SERVER_ERROR with this message and reason.
 */
export class StorageUnavailableError extends Error {
  readonly reason = 'STORAGE_UNAVAILABLE';

  constructor(readonly fault: unknown) {
    super('Nothing was saved: the service cannot write to its database right now. Try again in a moment.');
  }
}
