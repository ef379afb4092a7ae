import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { openSqlite } from '../database/sqlite-driver';
import { refuseOtherKind } from './backup-kind';
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
  syncFolder,
} from './database-file';
import { restorePostgres } from './postgres-restore';

export const RESTORE_USAGE = `Usage: npm run restore -- FILE [--force]

Puts a backup made by npm run backup in place of the service's database (DATA_DIR or DATABASE_URL).
Stop the service first. The file is checked first (integrity, a Simple Ticketing database, not from
a newer version, taken from the same kind of database). Everyone signs in again afterwards.

  --force   replace a database that holds data. SQLite: the file is kept beside it as
            <name>.before-restore-<time>. PostgreSQL: the backup's tables are dropped and made anew,
            in one transaction with the restore

  npm run restore -- /backups/ticketing-2026-11-26.sqlite
  DATABASE_URL=postgres://… npm run restore -- /backups/ticketing-2026-11-26.pgdump
`;

/** What the service's database file holds now. */
type TargetState = { kind: 'absent' } | { kind: 'empty' } | { kind: 'data'; what: string };

/** `npm run restore`: a checked backup copied into place atomically, the replaced file kept aside. */
export function runRestoreCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<BackupExitCode> {
  return runFileCommand(
    {
      usage: RESTORE_USAGE,
      missingFile: 'Name the backup file to restore.',
      run: (file, database, force, say) => restoreInto(database, file, force, env, say),
    },
    argv,
    env,
    io,
  );
}

async function restoreInto(
  database: DatabaseTarget,
  source: string,
  force: boolean,
  env: NodeJS.ProcessEnv,
  say: (line: string) => void,
): Promise<void> {
  if (!fs.statSync(source, { throwIfNoEntry: false })?.isFile()) {
    throw new BackupCommandError(`No backup file at ${source}.`, 1);
  }
  refuseOtherKind(source, database.kind);
  if (database.kind === 'postgres') return restorePostgres(source, database.url, env, force, say);
  return restore(source, database.file, force, say);
}

async function restore(
  source: string,
  target: string,
  force: boolean,
  say: (line: string) => void,
): Promise<void> {
  if (path.resolve(source) === path.resolve(target)) {
    throw new BackupCommandError('That file is the service database itself: name a backup.', 2);
  }
  const started = performance.now();
  const summary = inspectDatabaseFile(source, `The file ${source}`);
  fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
  const state = examineTarget(target);
  if (state.kind === 'data' && !force) {
    throw new BackupCommandError(
      `The database ${target} holds data (${state.what}): with the service stopped, add --force to replace it (it is kept as ${path.basename(target)}.before-restore-<time>).`,
      3,
    );
  }
  const partial = `${target}.restore-partial`;
  try {
    fs.rmSync(partial, { force: true });
    fs.closeSync(fs.openSync(partial, 'wx', 0o600));
    copyWithNewInstanceId(source, partial);
    syncFileAndFolder(partial);
  } catch (error) {
    fs.rmSync(partial, { force: true });
    throw new BackupCommandError(
      `The restore failed while copying (${describe(error)}); nothing was changed.`,
      1,
    );
  }
  const keptAs = state.kind === 'data' ? keepAside(target) : null;
  // A WAL left beside the new file would be replayed into it: the old pair goes together, or away.
  for (const suffix of ['-wal', '-shm', '-journal']) fs.rmSync(`${target}${suffix}`, { force: true });
  fs.renameSync(partial, target);
  syncFolder(path.dirname(target));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(
    `Restored ${summary.tickets} tickets (${megabytes(fs.statSync(target).size)}) from ${source} into ${target} in ${seconds} s.`,
  );
  if (keptAs) say(`The database it replaced is kept as ${keptAs}.`);
  say('Start the service: everyone signs in again (sessions from before the restore are ended).');
}

/**
 * Refuses while another process has the file open (an exclusive lock cannot be had then) and says
 * whether it holds data: any account or ticket. A file that cannot be read counts as data.
 */
function examineTarget(target: string): TargetState {
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat) return { kind: 'absent' };
  if (stat.size === 0 && !fs.existsSync(`${target}-wal`)) return { kind: 'empty' };
  let db: BetterSqlite3.Database;
  try {
    db = openSqlite(target, { fileMustExist: true });
  } catch (error) {
    return { kind: 'data', what: `it cannot be opened: ${describe(error)}` };
  }
  try {
    db.pragma('busy_timeout = 0');
    db.pragma('locking_mode = EXCLUSIVE');
    try {
      db.exec('BEGIN EXCLUSIVE');
    } catch (error) {
      if (describe(error).startsWith('SQLITE_BUSY')) {
        throw new BackupCommandError(
          `The database ${target} is in use (the service is running?): stop the service, then restore.`,
          3,
        );
      }
      return { kind: 'data', what: `it cannot be read: ${describe(error)}` };
    }
    const tables = (
      db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
    ).map((row) => row.name);
    const count = (table: string) =>
      tables.includes(table)
        ? (db.prepare(`SELECT count(*) AS count FROM "${table}"`).get() as { count: number }).count
        : 0;
    const accounts = count('user');
    const tickets = count('ticket');
    db.exec('COMMIT');
    if (accounts === 0 && tickets === 0) return { kind: 'empty' };
    return { kind: 'data', what: `${accounts} accounts, ${tickets} tickets` };
  } finally {
    db.close();
  }
}

/**
 * VACUUM INTO reads through a WAL the backup may still have beside it. The copy gets a new instance
 * id: tokens carry it, so every session from before the restore ends, including those issued after
 * the backup was taken and those logged out since (the backup does not know of those logouts).
 */
function copyWithNewInstanceId(source: string, partial: string): void {
  const from = openSqlite(source, { readonly: true, fileMustExist: true });
  try {
    from.prepare('VACUUM INTO ?').run(partial);
  } finally {
    from.close();
  }
  const copy = openSqlite(partial, { fileMustExist: true });
  try {
    copy.prepare('UPDATE "instance" SET "id" = ?').run(crypto.randomBytes(16).toString('hex'));
  } finally {
    copy.close();
  }
}

/** The replaced database under a dated name, with its WAL renamed alike so the pair still opens. */
function keepAside(target: string): string {
  const keptAs = `${target}.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  fs.renameSync(target, keptAs);
  if (fs.existsSync(`${target}-wal`)) fs.renameSync(`${target}-wal`, `${keptAs}-wal`);
  return keptAs;
}
