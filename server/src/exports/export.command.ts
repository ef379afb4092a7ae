import fs from 'node:fs';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { systemClock } from '../clock';
import { ConfigError, loadConfig } from '../config';
import { type Database, openDatabase, sqlitePath } from '../database/data-source';
import { isPostgresUrl } from '../database/database-url';
import { CountingLogger } from '../database/query-counter';
import { AppError } from '../errors';
import { createLogger } from '../logging';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { writeChunks } from './export-stream';
import { type ExportRequest, ExportService } from './export.service';

export const EXPORT_USAGE = `Usage: npm run -s export -- [--project ID] [--format json|csv] [--part tickets|jobs] [--output FILE]

Writes one project's data (--project ID) or everything, as JSON (the lossless format that
import reads; the default) or as CSV (--part tickets, the default, or --part jobs), to standard
output or to --output FILE. Reads the database of DATA_DIR or DATABASE_URL, like the service.
-s keeps npm's own "> simple-ticketing export" lines out of the file.

  npm run -s export -- --project 3 --format json > project-3.json
  npm run -s export -- --format csv --part jobs --output jobs.csv
`;

/** Exit codes: 0 done, 1 a failure (no database, a fault: the file is incomplete), 2 bad arguments. */
export type ExitCode = 0 | 1 | 2;

export interface CommandIo {
  stdout: Writable & { isTTY?: boolean };
  stderr: Pick<Writable, 'write'>;
}

/** Whoever runs the command holds the database file: an ADMIN that no account stands for. */
const OPERATOR = Object.assign(new User(), { id: 0, username: 'command line', role: Role.ADMIN });

class UsageError extends Error {}

/** `npm run export`: the same export as GET /api/export, from the database file to stdout or a file. */
export async function runExportCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  io: CommandIo,
): Promise<ExitCode> {
  const say = (line: string) => io.stderr.write(`${line}\n`);
  let options: ReturnType<typeof readArguments>;
  try {
    options = readArguments(argv);
    if (options.help) {
      io.stdout.write(EXPORT_USAGE);
      return 0;
    }
    // npm prints "> simple-ticketing@… export" on standard output before the command runs: in the file.
    const npmBanner = env.npm_lifecycle_event === 'export' && env.npm_config_loglevel !== 'silent';
    if (options.output === null && npmBanner && !io.stdout.isTTY) {
      throw new UsageError(
        'npm wrote its "> simple-ticketing export" lines at the top of the output: run npm run -s export (or give --output FILE).',
      );
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    say(`${error.message}\n\n${EXPORT_USAGE}`);
    return 2;
  }

  let database: Database | null = null;
  try {
    const config = loadConfig(env);
    const file = sqlitePath(config);
    // PostgreSQL: opening says what is wrong (unreachable, no such database) by itself.
    if (!isPostgresUrl(config.databaseUrl) && !fs.existsSync(file)) {
      say(`No database at ${file}: set DATA_DIR or DATABASE_URL to the service's.`);
      return 1;
    }
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, {
      write: (line: string) => io.stderr.write(line),
    });
    database = await openDatabase(config, new CountingLogger(logger));
    return await exportTo(new ExportService(database, systemClock), options, io, say);
  } catch (error) {
    say(error instanceof ConfigError ? `Configuration error: ${error.message}` : String(error));
    return 1;
  } finally {
    await database?.close();
  }
}

async function exportTo(
  exporter: ExportService,
  options: { request: ExportRequest; output: string | null },
  io: CommandIo,
  say: (line: string) => void,
): Promise<ExitCode> {
  let plan;
  try {
    plan = await exporter.plan(OPERATOR, options.request);
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    say(`${error.message}\n\n${EXPORT_USAGE}`);
    return 2;
  }
  const started = performance.now();
  let bytes = 0;
  const counted = async function* (chunks: AsyncIterable<Buffer>) {
    for await (const chunk of chunks) {
      bytes += chunk.length;
      yield chunk;
    }
  };
  // A file is written under a temporary name and renamed once complete: a cut export never has the name.
  const partial = options.output === null ? null : `${options.output}.partial`;
  // The file holds emails and internal notes: readable by its owner only, like the database.
  const out = partial === null ? io.stdout : fs.createWriteStream(partial, { mode: 0o600 });
  try {
    await writeChunks(out, counted(exporter.chunks(plan)));
    if (partial !== null) fs.renameSync(partial, options.output!);
  } catch (error) {
    if (partial !== null) fs.rmSync(partial, { force: true });
    say(`The export failed after ${bytes} bytes, so the output is incomplete: delete it. ${String(error)}`);
    return 1;
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(`Exported ${plan.filename} (${(bytes / 1e6).toFixed(1)} MB) in ${seconds} s.`);
  return 0;
}

function readArguments(argv: string[]): { request: ExportRequest; output: string | null; help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        project: { type: 'string' },
        format: { type: 'string' },
        part: { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { project, format, part, output, help } = values;
  if (output === '') throw new UsageError('--output needs a file name.');
  const request: ExportRequest = {};
  if (project !== undefined) request.project = project;
  if (format !== undefined) request.format = format;
  if (part !== undefined) request.part = part;
  return { request, output: output ?? null, help: help ?? false };
}
