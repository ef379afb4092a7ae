import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { BackupCommandError } from './database-file';

/** The PostgreSQL client programs backup and restore run. */
export type PostgresTool = 'pg_dump' | 'pg_restore' | 'psql';

export interface FoundTool {
  file: string;
  major: number;
  version: string;
}

/** Debian and Ubuntu keep each version's programs there, off the PATH (which holds a wrapper, or none). */
const VERSIONED_FOLDERS = '/usr/lib/postgresql';

/** Seen by the server (pg_stat_activity), so a DBA knows who is connected. */
const APPLICATION_NAME = 'simple-ticketing backup';

/** The service's database on PostgreSQL: its URL, and how the client programs reach it. */
export interface PostgresDatabase {
  url: string;
  /** The URL without its password: for messages, and for the programs' command line. */
  shown: string;
  /** The programs' environment: the password travels in PGPASSWORD, never on a command line. */
  env: NodeJS.ProcessEnv;
}

export function postgresDatabase(url: string, env: NodeJS.ProcessEnv): PostgresDatabase {
  const parsed = new URL(url);
  const password = decodeURIComponent(parsed.password);
  parsed.password = '';
  const shown = parsed.toString();
  const toolEnv: NodeJS.ProcessEnv = { ...env, PGAPPNAME: APPLICATION_NAME };
  if (password) toolEnv.PGPASSWORD = password;
  return { url, shown, env: toolEnv };
}

/** Whether file is a program this process may run. */
export function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function versionOf(file: string): FoundTool | null {
  const result = spawnSync(file, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  const match = /\(PostgreSQL\)\s+((\d+)(?:\.\d+)*)/.exec(result.stdout ?? '');
  return result.status === 0 && match ? { file, major: Number(match[2]), version: match[1] } : null;
}

/** Where the programs are looked for: the PATH first, then the versioned folders. */
export function toolFolders(env: NodeJS.ProcessEnv): string[] {
  const folders = (env.PATH ?? '').split(path.delimiter).filter(Boolean);
  if (fs.existsSync(VERSIONED_FOLDERS)) {
    for (const version of fs.readdirSync(VERSIONED_FOLDERS)) {
      folders.push(path.join(VERSIONED_FOLDERS, version, 'bin'));
    }
  }
  return folders;
}

/** Every installed copy of a program in those folders, with its version. */
function installed(tool: PostgresTool, folders: string[]): FoundTool[] {
  const files = [...new Set(folders.map((folder) => path.join(folder, tool)))].filter(isExecutable);
  return files.map(versionOf).filter((found): found is FoundTool => found !== null);
}

/**
 * The newest installed copy of a program; with `serverMajor`, one at least that new, since pg_dump
 * refuses a server of a later major version (an older server is fine: pg_dump reads back to 9.2).
 */
export function findTool(
  tool: PostgresTool,
  env: NodeJS.ProcessEnv,
  serverMajor?: number,
  folders = toolFolders(env),
): FoundTool {
  const found = installed(tool, folders).sort((a, b) => b.major - a.major);
  const wanted = serverMajor ? `version ${serverMajor} or later` : 'the version of the server';
  if (found.length === 0) {
    throw new BackupCommandError(
      `${tool} is not installed (looked in the PATH and in ${VERSIONED_FOLDERS}/*/bin): install the PostgreSQL client programs, ${wanted} (Debian, Ubuntu: apt-get install postgresql-client${serverMajor ? `-${serverMajor}` : ''}).`,
      1,
    );
  }
  const newest = found[0];
  if (serverMajor && newest.major < serverMajor) {
    throw new BackupCommandError(
      `The PostgreSQL server is version ${serverMajor}, newer than ${tool} ${newest.version} (${newest.file}), which cannot read it: install the PostgreSQL ${serverMajor} client programs (Debian, Ubuntu: apt-get install postgresql-client-${serverMajor}).`,
      1,
    );
  }
  return newest;
}

/** One connection to the service's database, closed afterwards; failing to connect says why. */
export async function withConnection<T>(
  database: PostgresDatabase,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client({
    connectionString: database.url,
    application_name: APPLICATION_NAME,
    connectionTimeoutMillis: 10_000,
  });
  try {
    await client.connect();
  } catch (error) {
    throw new BackupCommandError(
      `Cannot connect to ${database.shown}: ${(error as Error).message || String(error)}.`,
      1,
    );
  }
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export interface ToolRun {
  code: number;
  /** What it wrote on standard output, when asked to keep it ('keep'). */
  stdout: string;
  stderr: string;
}

/**
 * Runs a program to its end, keeping what it said on standard error (its last lines are its error);
 * standard output goes to a file descriptor, is kept, or is dropped.
 */
export function runTool(
  tool: FoundTool,
  args: string[],
  options: { env: NodeJS.ProcessEnv; stdout?: number | 'keep' | 'ignore' },
): Promise<ToolRun> {
  const stdout = options.stdout ?? 'ignore';
  return new Promise((resolve) => {
    const child = spawn(tool.file, args, {
      env: options.env,
      stdio: ['ignore', stdout === 'keep' ? 'pipe' : stdout, 'pipe'],
    });
    const kept = { stdout: '', stderr: '' };
    child.stdout?.on('data', (chunk: Buffer) => (kept.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (kept.stderr += chunk.toString()));
    child.once('error', (error) => resolve({ code: 127, stdout: '', stderr: error.message }));
    child.once('close', (code) => resolve({ code: code ?? 1, ...kept }));
  });
}

/** A program's complaint, short enough for one message. */
export function complaint(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
  return (lines.slice(-3).join(' ') || 'no message').slice(0, 500);
}
