import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock';
import { ConfigError, loadConfig } from '../config';
import { type Database, openDatabase, sqlitePath } from '../database/data-source';
import { isPostgresUrl } from '../database/database-url';
import { CountingLogger } from '../database/query-counter';
import { AppError, type InvalidField } from '../errors';
import { createLogger } from '../logging';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { normalizeKey } from '../users/user-key';
import { ImportService } from './import.service';

export const IMPORT_USAGE = `Usage: npm run import -- FILE.json [--dry-run]
       npm run import -- FILE.csv --csv --project ID [--dry-run] [--as LOGIN]

Reads a JSON export (all or nothing, in one transaction) or, with --csv, tickets from a CSV file
into the project ID, into the database of DATA_DIR or DATABASE_URL, like the service. The same
checks and messages as POST /api/import. --dry-run reports what would be imported and writes
nothing. --as names the admin (email or username) who becomes the author of CSV rows without an
author email; by default the oldest admin. Prints the report as JSON on standard output.

Exit codes: 0 imported (or dry run done), 1 refused or failed (nothing written), 2 bad arguments.

  npm run import -- export-2026-03-01.json
  npm run import -- tickets.csv --csv --project 3 --dry-run
`;

/** Exit codes: 0 done, 1 the file refused or a failure (nothing written), 2 bad arguments. */
export type ExitCode = 0 | 1 | 2;

export interface CommandIo {
  stdout: Pick<Writable, 'write'>;
  stderr: Pick<Writable, 'write'>;
}

interface ImportArguments {
  file: string;
  csv: boolean;
  project: string | undefined;
  dryRun: boolean;
  as: string | undefined;
  help: boolean;
}

class UsageError extends Error {}

/** Whoever runs the command holds the database file: an ADMIN that no account stands for (JSON only). */
const OPERATOR = Object.assign(new User(), { id: 0, username: 'command line', role: Role.ADMIN });

/** `npm run import`: the same import as POST /api/import, from a file into the database file. */
export async function runImportCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<ExitCode> {
  const say = (line: string) => io.stderr.write(`${line}\n`);
  let options: ImportArguments;
  let file: Buffer;
  try {
    options = readArguments(argv);
    if (options.help) {
      io.stdout.write(IMPORT_USAGE);
      return 0;
    }
    try {
      file = fs.readFileSync(options.file);
    } catch (error) {
      throw new UsageError(
        `Cannot read ${options.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`,
      );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(`${error.message}\n\n${IMPORT_USAGE}`);
    return 2;
  }

  let database: Database | null = null;
  try {
    const config = loadConfig(env);
    if (file.length > config.importMaxMb * 1024 * 1024) {
      say(
        `${options.file} is larger than ${config.importMaxMb} MB, the most this instance imports (IMPORT_MAX_MB). Split it, or raise IMPORT_MAX_MB.`,
      );
      return 1;
    }
    const databaseFile = sqlitePath(config);
    // PostgreSQL: opening says what is wrong (unreachable, no such database) by itself.
    if (!isPostgresUrl(config.databaseUrl) && !fs.existsSync(databaseFile)) {
      say(
        `No database at ${databaseFile}: set DATA_DIR or DATABASE_URL to the service's (start it once to create it).`,
      );
      return 1;
    }
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, {
      write: (line: string) => io.stderr.write(line),
    });
    database = await openDatabase(config, new CountingLogger(logger));
    const imports = new ImportService(database, systemClock);
    const started = performance.now();
    const result = options.csv
      ? await imports.importCsv(
          await actingAdmin(database, options.as),
          { project: options.project, dryRun: options.dryRun },
          file,
        )
      : await imports.importJson(options.as ? await actingAdmin(database, options.as) : OPERATOR, file, {
          dryRun: options.dryRun,
        });
    io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    say(`${result.message} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      say(error.message);
      return 2;
    }
    if (error instanceof AppError) {
      say(error.message);
      const fields = (error.extensions.invalidFields ?? []) as InvalidField[];
      for (const field of fields) say(`  ${field.field} (${field.rule}): ${field.message}`);
      return 1;
    }
    say(error instanceof ConfigError ? `Configuration error: ${error.message}` : String(error));
    return 1;
  } finally {
    await database?.close();
  }
}

/** The admin named by --as, or the oldest one: CSV rows without an author email are theirs. */
async function actingAdmin(database: Database, login: string | undefined): Promise<User> {
  if (login !== undefined) {
    const key = normalizeKey(login);
    const user = await database.manager.findOneBy(
      User,
      key.includes('@') ? { emailKey: key } : { usernameKey: key },
    );
    if (!user || user.role !== Role.ADMIN)
      throw new UsageError(`--as ${login}: no admin has this email or username.`);
    return user;
  }
  const oldest = await database.manager.findOne(User, { where: { role: Role.ADMIN }, order: { id: 'ASC' } });
  if (!oldest) {
    throw new UsageError(
      'This instance has no admin yet to be the author of CSV rows: register the first account (it becomes ADMIN), then import.',
    );
  }
  return oldest;
}

function readArguments(argv: string[]): ImportArguments {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        csv: { type: 'boolean' },
        project: { type: 'string' },
        'dry-run': { type: 'boolean' },
        as: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const help = values.help ?? false;
  if (help) return { file: '', csv: false, project: undefined, dryRun: false, as: undefined, help };
  if (positionals.length !== 1)
    throw new UsageError(
      positionals.length === 0 ? 'Name the file to import.' : 'Import one file at a time.',
    );
  const csv = values.csv ?? false;
  if (csv && values.project === undefined)
    throw new UsageError('--csv needs --project ID: the project the tickets go into.');
  if (!csv && values.project !== undefined)
    throw new UsageError('--project applies to --csv: a JSON export creates its own projects.');
  return {
    file: positionals[0],
    csv,
    project: values.project,
    dryRun: values['dry-run'] ?? false,
    as: values.as,
    help,
  };
}
