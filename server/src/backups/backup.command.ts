import fs from 'node:fs';
import path from 'node:path';
import { openSqlite } from '../database/sqlite-driver';
import {
  BackupCommandError,
  type BackupExitCode,
  type CommandIo,
  type DatabaseTarget,
  describe,
  inspectDatabaseFile,
  runFileCommand,
  megabytes,
  syncFileAndFolder,
} from './database-file';
import { backUpPostgres } from './postgres-backup';

export const BACKUP_USAGE = `Usage: npm run backup -- FILE [--force]

Copies the service's database (DATA_DIR or DATABASE_URL, like the service) into FILE, safely while
the service runs and writes: SQLite with VACUUM INTO, PostgreSQL with pg_dump (custom format). The
copy is checked before it takes its name, and is readable by its owner only: it holds password
hashes, emails and internal notes.

  --force   replace FILE if it exists

  npm run backup -- /backups/ticketing-$(date +%F).sqlite
  DATABASE_URL=postgres://… npm run backup -- /backups/ticketing-$(date +%F).pgdump
`;

/** `npm run backup`: a consistent copy of the live database, verified, under its final name only when whole. */
export function runBackupCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<BackupExitCode> {
  return runFileCommand(
    {
      usage: BACKUP_USAGE,
      missingFile: 'Name the backup file to write.',
      run: (file, database, force, say) => backUp(database, file, force, env, say),
    },
    argv,
    env,
    io,
  );
}

async function backUp(
  database: DatabaseTarget,
  target: string,
  force: boolean,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<void> {
  if (database.kind === 'sqlite' && !fs.existsSync(database.file)) {
    throw new BackupCommandError(
      `No database at ${database.file}: set DATA_DIR or DATABASE_URL to the service's.`,
      1,
    );
  }
  const folder = path.dirname(target);
  if (!fs.statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
    throw new BackupCommandError(
      `The folder ${folder} does not exist: create it first, or name a file in another folder.`,
      1,
    );
  }
  if (database.kind === 'sqlite' && path.resolve(target) === path.resolve(database.file)) {
    throw new BackupCommandError('The backup cannot be the database itself: name another file.', 2);
  }
  if (fs.existsSync(target) && !force) {
    throw new BackupCommandError(
      `${target} already exists: name a new file, or add --force to replace it.`,
      3,
    );
  }
  if (database.kind === 'postgres') return backUpPostgres(database.url, env, target, say);
  const source = database.file;
  const started = performance.now();
  const partial = `${target}.partial`;
  say(`Backing up ${source} into ${target}…`);
  try {
    // Created empty first: VACUUM INTO writes into an empty file and keeps its mode (owner only).
    fs.rmSync(partial, { force: true });
    fs.closeSync(fs.openSync(partial, 'wx', 0o600));
    copyLive(source, partial);
    syncFileAndFolder(partial);
    const summary = inspectDatabaseFile(partial, 'The copy');
    fs.renameSync(partial, target);
    syncFileAndFolder(target);
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    say(
      `Backed up ${summary.tickets} tickets (${megabytes(fs.statSync(target).size)}, integrity check ok) into ${target} in ${seconds} s.`,
    );
  } catch (error) {
    fs.rmSync(partial, { force: true });
    if (error instanceof BackupCommandError) throw error;
    throw new BackupCommandError(
      `The backup failed (${describe(error)}); nothing was written to ${target}.`,
      1,
    );
  }
}

/**
 * VACUUM INTO rather than the online backup API: one read transaction is one consistent snapshot that a
 * busy writer cannot restart (the backup API starts over whenever another connection writes), and in
 * WAL mode a reader never blocks the service's writers.
 */
function copyLive(source: string, partial: string): void {
  const db = openSqlite(source, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    db.prepare('VACUUM INTO ?').run(partial);
  } finally {
    db.close();
  }
}
