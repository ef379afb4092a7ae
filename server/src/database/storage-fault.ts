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

/**
 * PostgreSQL's side of the same: the server cannot be reached or is going away (class 08, 57P01–57P03),
 * is out of disk or memory (class 53), a system or data-corruption error (class 58, XX001, XX002), a
 * lock held elsewhere past the 5 s lock timeout (55P03) or a statement past its timeout (57014), or the
 * network gave up (ECONNREFUSED…). A constraint, a serialization failure or a bug is not one.
 */
const POSTGRES_STORAGE_CODES = /^(08...|53...|57P0[123]|58...|XX00[12]|55P03|57014)$/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENOTFOUND',
]);
/** node-postgres errors that carry no code: the connection was lost or the pool could not get one. */
const POSTGRES_CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/;

/** The SQLSTATE (or network code) of an error from node-postgres, directly or wrapped by TypeORM. */
export function postgresCodeOf(error: unknown): string | undefined {
  if (error instanceof StorageUnavailableError) return postgresCodeOf(error.fault);
  const candidate = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = candidate?.driverError?.code ?? candidate?.code;
  return typeof code === 'string' && !code.startsWith('SQLITE_') ? code : undefined;
}

function isPostgresStorageFault(error: unknown): boolean {
  const code = postgresCodeOf(error);
  if (code) return POSTGRES_STORAGE_CODES.test(code) || NETWORK_CODES.has(code);
  const message = (error as { driverError?: { message?: unknown }; message?: unknown } | null)?.message;
  return typeof message === 'string' && POSTGRES_CONNECTION_MESSAGES.test(message);
}

export function isStorageFault(error: unknown): boolean {
  return STORAGE_CODES.test(sqliteCodeOf(error) ?? '') || isPostgresStorageFault(error);
}

/**
 * A PostgreSQL transaction that lost to a concurrent one and may simply run again: a serialization
 * failure (40001), a deadlock (40P01), or a unique key another transaction took first (23505: run again,
 * the rule's own check then sees the row and answers with the field's message).
 */
export function isRetryableConflict(error: unknown): boolean {
  const code = postgresCodeOf(error);
  return code === '40001' || code === '40P01' || code === '23505';
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
