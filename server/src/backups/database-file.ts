import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type BetterSqlite3 from 'better-sqlite3';
import { openSqlite } from '../database/sqlite-driver';
import { type Config, ConfigError, loadConfig, validateDatabaseUrl } from '../config';
import { sqlitePath } from '../database/data-source';
import { migrations } from '../migrations';
import { sqliteCodeOf } from '../database/storage-fault';

/** Exit codes of backup and restore: 0 done, 1 failed, 2 bad arguments or settings, 3 refused to protect data. */
export type BackupExitCode = 0 | 1 | 2 | 3;

export interface CommandIo {
  stdout: Pick<NodeJS.WritableStream, 'write'>;
  stderr: Pick<NodeJS.WritableStream, 'write'>;
}

/** A refusal or failure the operator can act on: the message is the whole story, no stack trace. */
export class BackupCommandError extends Error {
  constructor(
    message: string,
    readonly exitCode: BackupExitCode,
  ) {
    super(message);
  }
}

export interface DatabaseSummary {
  tickets: number;
  instanceId: string;
  /** Migration names, oldest first, as the file records them. */
  migrations: string[];
}

/** Migration names this build knows: a file recording any other was made by a newer version. */
const KNOWN_MIGRATIONS = new Set(migrations.map((Migration) => new Migration().name ?? Migration.name));

/** The service's database, as DATA_DIR and DATABASE_URL name it. */
export type DatabaseTarget = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };

export function isPostgresUrl(env: NodeJS.ProcessEnv): boolean {
  return /^postgres(ql)?:/i.test((env.DATABASE_URL ?? '').trim());
}

/**
 * PostgreSQL needs its URL only: the rest of the service's settings (JWT_SECRET among them) is not the
 * business of pg_dump, so it is not asked for. SQLite's file follows DATA_DIR, read like the service.
 */
export function readDatabaseTarget(env: NodeJS.ProcessEnv): DatabaseTarget {
  if (!isPostgresUrl(env)) return { kind: 'sqlite', file: sqlitePath(readCommandConfig(env)) };
  return {
    kind: 'postgres',
    url: settingOrRefusal(() => validateDatabaseUrl((env.DATABASE_URL ?? '').trim())),
  };
}

/** A setting read as the service reads it; a bad one is refused with exit code 2, as the service does. */
function settingOrRefusal<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError)
      throw new BackupCommandError(`Configuration error: ${error.message}`, 2);
    throw error;
  }
}

/**
 * Checks that a file is a sound Simple Ticketing database this version can run (integrity, our tables,
 * no migration from a newer version) and sums it up. Throws BackupCommandError (exit 1) otherwise.
 */
export function inspectDatabaseFile(file: string, label: string): DatabaseSummary {
  let db: BetterSqlite3.Database;
  try {
    db = openSqlite(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new BackupCommandError(`${label} cannot be opened (${describe(error)}).`, 1);
  }
  try {
    db.pragma('busy_timeout = 5000');
    const findings = readIntegrity(db, label);
    if (findings.length !== 1 || findings[0] !== 'ok') {
      throw new BackupCommandError(
        `${label} is damaged: its integrity check found ${findings.join('; ').slice(0, 300)}.`,
        1,
      );
    }
    const tables = new Set(
      (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map(
        (row) => row.name,
      ),
    );
    if (!tables.has('migrations') || !tables.has('instance') || !tables.has('ticket')) {
      throw new BackupCommandError(
        `${label} is an SQLite database, but not one of Simple Ticketing (no migrations, instance or ticket table).`,
        1,
      );
    }
    const applied = (
      db.prepare('SELECT "name" FROM "migrations" ORDER BY "id"').all() as { name: string }[]
    ).map((row) => row.name);
    const unknown = applied.filter((name) => !KNOWN_MIGRATIONS.has(name));
    if (unknown.length > 0) {
      throw new BackupCommandError(
        `${label} was made by a newer version of Simple Ticketing (migration ${unknown.join(', ')} is unknown to this one): upgrade this installation first, then restore.`,
        1,
      );
    }
    const instance = db.prepare('SELECT "id" FROM "instance" LIMIT 1').get() as { id: string } | undefined;
    if (!instance)
      throw new BackupCommandError(`${label} has no instance row: it is not a complete database.`, 1);
    const { count } = db.prepare('SELECT count(*) AS count FROM "ticket"').get() as { count: number };
    return { tickets: count, instanceId: instance.id, migrations: applied };
  } finally {
    db.close();
  }
}

function readIntegrity(db: BetterSqlite3.Database, label: string): string[] {
  try {
    return (db.pragma('integrity_check(5)') as Record<string, string>[]).map((row) => Object.values(row)[0]);
  } catch (error) {
    const code = sqliteCodeOf(error);
    if (code === 'SQLITE_NOTADB') throw new BackupCommandError(`${label} is not an SQLite database.`, 1);
    throw new BackupCommandError(`${label} cannot be read (${describe(error)}).`, 1);
  }
}

/** Makes a finished file durable: its bytes, then its name in the folder. */
export function syncFileAndFolder(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  syncFolder(path.dirname(file));
}

export function syncFolder(folder: string): void {
  const fd = fs.openSync(folder, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function describe(error: unknown): string {
  return sqliteCodeOf(error) ?? (error as NodeJS.ErrnoException).code ?? String(error);
}

export function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export function readCommandConfig(env: NodeJS.ProcessEnv): Config {
  return settingOrRefusal(() => loadConfig(env));
}

/** FILE [--force] [--help]: the one shape both commands take. */
export function readFileArguments(
  argv: string[],
  missing: string,
): { file: string; force: boolean; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { force: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new BackupCommandError((error as Error).message, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) return { file: '', force: false, help: true };
  if (positionals.length !== 1 || positionals[0] === '') {
    throw new BackupCommandError(positionals.length === 0 ? missing : 'Name one file only.', 2);
  }
  return { file: path.resolve(positionals[0]), force: values.force ?? false, help: false };
}

export interface FileCommand {
  usage: string;
  /** Said when FILE is missing. */
  missingFile: string;
  /** The work on FILE and the service's database; throws BackupCommandError to refuse. */
  run(file: string, database: DatabaseTarget, force: boolean, say: (line: string) => void): Promise<void>;
}

/**
 * backup and restore alike: FILE [--force] [--help], the configuration read like the service's, and
 * every refusal said on stderr with its exit code (the usage too, for a bad argument).
 */
export async function runFileCommand(
  command: FileCommand,
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<BackupExitCode> {
  const say = (line: string) => io.stderr.write(`${line}\n`);
  try {
    const options = readFileArguments(argv, command.missingFile);
    if (options.help) {
      io.stdout.write(command.usage);
      return 0;
    }
    await command.run(options.file, readDatabaseTarget(env), options.force, say);
    return 0;
  } catch (error) {
    if (!(error instanceof BackupCommandError)) throw error;
    say(
      error.exitCode === 2 && !error.message.startsWith('Configuration error')
        ? `${error.message}\n\n${command.usage}`
        : error.message,
    );
    return error.exitCode;
  }
}
