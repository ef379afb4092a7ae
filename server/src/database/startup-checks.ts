import fs from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { postgresCodeOf, sqliteCodeOf, storageAdvice } from './storage-fault';

/** The service must not start on this database; the message says what is wrong and what to do. */
export class DatabaseStartError extends Error {}

/** Suffixes of the files SQLite keeps beside the database in WAL mode. */
const COMPANION_FILES = ['', '-wal', '-shm'];

/**
 * Password hashes, emails and internal notes live here: the data folder is 0700 and the database
 * files 0600, whatever the umask. A folder the service does not own is left as it is.
 */
export function checkBeforeOpen(dataDir: string, file: string): void {
  for (const folder of new Set([dataDir, path.dirname(file)])) {
    try {
      fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new DatabaseStartError(
        `The folder ${folder} cannot be created (${(error as NodeJS.ErrnoException).code}). ` +
          'Set DATA_DIR to a folder the service may write, on a filesystem mounted read-write.',
      );
    }
  }
  tighten(dataDir, 0o700);
  try {
    // Created empty with the right mode, so SQLite (which copies the mode to -wal and -shm) never widens it.
    fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600));
  } catch (error) {
    throw new DatabaseStartError(
      `The database file ${file} cannot be opened for writing (${(error as NodeJS.ErrnoException).code}). ` +
        storageAdvice('SQLITE_READONLY'),
    );
  }
  for (const suffix of COMPANION_FILES) tighten(`${file}${suffix}`, 0o600);
}

function tighten(target: string, mode: number): void {
  try {
    const stat = fs.statSync(target);
    if ((stat.mode & 0o777) !== mode && (process.getuid?.() ?? 0) === stat.uid) fs.chmodSync(target, mode);
  } catch {
    // Absent (no WAL yet) or not ours: nothing to tighten.
  }
}

/** A quick integrity check before anything is served: a damaged file is refused, not served with 500s. */
export async function checkOpened(dataSource: DataSource, file: string): Promise<void> {
  const rows = (await dataSource.query('PRAGMA quick_check(5)')) as Record<string, string>[];
  const findings = rows.map((row) => Object.values(row)[0]);
  if (findings.length !== 1 || findings[0] !== 'ok') {
    throw new DatabaseStartError(
      `The database file ${file} failed its integrity check (${findings.join('; ').slice(0, 300)}). ` +
        storageAdvice('SQLITE_CORRUPT'),
    );
  }
}

/** Turns a failure while opening, checking or migrating into a message an operator can act on. */
export function describeOpenFailure(file: string, error: unknown): DatabaseStartError {
  if (error instanceof DatabaseStartError) return error;
  const code = sqliteCodeOf(error);
  const what =
    code === 'SQLITE_NOTADB' || code?.startsWith('SQLITE_CORRUPT')
      ? 'is not a readable SQLite database'
      : code?.startsWith('SQLITE_READONLY') || code?.startsWith('SQLITE_CANTOPEN')
        ? 'cannot be written'
        : code?.startsWith('SQLITE_FULL')
          ? 'cannot be written: the disk is full'
          : code?.startsWith('SQLITE_BUSY')
            ? 'is locked by another process'
            : 'could not be opened';
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new DatabaseStartError(`The database file ${file} ${what} (${detail}). ${storageAdvice(code)}`);
}

/** Where a PostgreSQL URL points, for messages: host, port and database, never the password. */
export function describePostgresTarget(url: string): string {
  try {
    const parsed = new URL(url);
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, '')) || '(default database)';
    return `PostgreSQL at ${parsed.hostname || 'localhost'}:${parsed.port || '5432'}, database ${database}`;
  } catch {
    return 'PostgreSQL (DATABASE_URL)';
  }
}

/** A failure to connect to, check or migrate a PostgreSQL database, as a message an operator can act on. */
export function describePostgresFailure(url: string, error: unknown): DatabaseStartError {
  if (error instanceof DatabaseStartError) return error;
  const target = describePostgresTarget(url);
  const code = postgresCodeOf(error);
  const advice: Record<string, string> = {
    ECONNREFUSED: 'nothing answers there: start PostgreSQL, or correct the host and port in DATABASE_URL',
    ENOTFOUND: 'the host name does not resolve: correct the host in DATABASE_URL',
    ETIMEDOUT: 'the connection timed out: check the host, the port and the network',
    '28P01': 'the password was refused: correct the user and password in DATABASE_URL',
    '28000': 'the server refuses this user from here: check pg_hba.conf and the user in DATABASE_URL',
    '3D000': 'the database does not exist: create it (createdb) or correct its name in DATABASE_URL',
    '42501':
      'the user may not create tables: make it the owner of the database (ALTER DATABASE … OWNER TO …), or GRANT CREATE ON SCHEMA public TO it',
    '53300':
      'the server has no connection left: raise its max_connections (each instance of the service opens up to 10)',
  };
  let what = (code && advice[code]) ?? 'it could not be opened';
  // A password holding @, / or : unencoded moves the host into it: say what is likely wrong.
  if (
    (code === 'ENOTFOUND' || code === 'EAI_AGAIN') &&
    /@.*@|:[^/]*\/[^/]*@/.test(url.replace(/^[a-z]+:\/\//i, ''))
  ) {
    what += ' (if the password holds @, / or :, write them %40, %2F and %3A)';
  }
  const detail = code ?? (error instanceof Error ? error.message : String(error));
  return new DatabaseStartError(`${target}: ${what} (${detail}).`);
}
