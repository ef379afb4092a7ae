import fs from 'node:fs';
import { BackupCommandError } from './database-file';

/** What a backup file is, from its first bytes. */
export type BackupKind = 'sqlite' | 'pg_dump' | 'sql' | 'other';

const SQLITE_HEADER = 'SQLite format 3\0';
/** pg_dump's custom format (`--format=custom`), what npm run backup writes for PostgreSQL. */
const PG_DUMP_HEADER = 'PGDMP';

export function backupKindOf(file: string): BackupKind {
  const head = Buffer.alloc(256);
  const fd = fs.openSync(file, 'r');
  let length: number;
  try {
    length = fs.readSync(fd, head, 0, head.length, 0);
  } finally {
    fs.closeSync(fd);
  }
  const text = head.subarray(0, length).toString('latin1');
  if (text.startsWith(SQLITE_HEADER)) return 'sqlite';
  if (text.startsWith(PG_DUMP_HEADER)) return 'pg_dump';
  if (/^--\s*\n--\s*PostgreSQL database dump/.test(text)) return 'sql';
  return 'other';
}

/**
 * Refuses a file made for the other kind of database: a backup goes back into the kind it was taken
 * from. Files of no known kind are left to the restore's own checks, which say what they found.
 */
export function refuseOtherKind(file: string, database: 'sqlite' | 'postgres'): void {
  const kind = backupKindOf(file);
  if (database === 'sqlite' && (kind === 'pg_dump' || kind === 'sql')) {
    throw new BackupCommandError(
      `The file ${file} is a PostgreSQL backup (pg_dump), and the service's database is SQLite: a backup goes back into the kind of database it was taken from. To move data from PostgreSQL to SQLite, use npm run export and npm run import.`,
      1,
    );
  }
  if (database === 'postgres' && kind === 'sqlite') {
    throw new BackupCommandError(
      `The file ${file} is an SQLite backup, and DATABASE_URL names a PostgreSQL database: a backup goes back into the kind of database it was taken from. To move data from SQLite to PostgreSQL, use npm run export and npm run import.`,
      1,
    );
  }
  if (database === 'postgres' && kind === 'sql') {
    throw new BackupCommandError(
      `The file ${file} is a plain SQL dump, not a backup made by npm run backup (pg_dump --format=custom): restore it with psql, on an empty database.`,
      1,
    );
  }
  if (database === 'postgres' && kind === 'other') {
    throw new BackupCommandError(
      `The file ${file} is not a backup of npm run backup: neither a pg_dump archive (--format=custom) nor an SQLite database.`,
      1,
    );
  }
}
