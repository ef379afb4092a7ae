import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, escapeIdentifier } from 'pg';
import { isExecutable, toolFolders } from '../../src/backups/postgres-tools';

/*
 * The PostgreSQL of the tests, outside any test file (no jest globals here): a throw-away cluster
 * started with the machine's initdb and pg_ctl, or an existing server named by TEST_DATABASE_URL,
 * and the databases the tests create and drop in it. The global setup of the `integration (postgres)`
 * project starts it; its test environment (postgres-environment.ts) drops what each test file made.
 */

/** Set by the global setup: the server (a URL to its `postgres` database) where tests create theirs. */
export const POSTGRES_SERVER_ENV = 'SIMPLE_TICKETING_TEST_POSTGRES_URL';
/** Set by the global setup: a short id of this jest run, the start of its database names. */
export const POSTGRES_RUN_ENV = 'SIMPLE_TICKETING_TEST_POSTGRES_RUN';
/** Set by the global setup outside CI when PostgreSQL cannot run here: why the project is skipped. */
export const POSTGRES_SKIP_ENV = 'SIMPLE_TICKETING_TEST_POSTGRES_SKIP';
/** Set by the test environment of the PostgreSQL project in each test file: 'postgres'. */
export const TEST_DATABASE_ENV = 'SIMPLE_TICKETING_TEST_DATABASE';
/** Set by the test environment in each test file: the start of the names of the databases it makes. */
export const FILE_DATABASES_ENV = 'SIMPLE_TICKETING_TEST_DATABASE_PREFIX';
/** An existing PostgreSQL server to use instead of a throw-away cluster (it needs CREATEDB). */
export const TEST_DATABASE_URL_ENV = 'TEST_DATABASE_URL';

/** Every database of the tests is named so: easy to tell apart on a shared server, and to drop. */
export const DATABASE_NAME_PREFIX = 'simple_ticketing_test_';

/** Where Debian's postgresql package keeps the server binaries (off the PATH): one folder per version. */
const DEBIAN_BINARIES = '/usr/lib/postgresql';
const INSTALL_HINT =
  'install them with `apt-get install -y postgresql`, or set TEST_DATABASE_URL=postgres://…';

/** PostgreSQL cannot run here (binaries, user or cluster): a skip outside CI, a failure in it. */
export class PostgresUnavailableError extends Error {}

export interface PostgresBinaries {
  initdb: string;
  pgCtl: string;
}

/** The first folder holding both initdb and pg_ctl: the PATH, then Debian's folders. */
export function findBinaries(): PostgresBinaries {
  // The same places npm run backup looks for pg_dump: the PATH, then Debian's versioned folders.
  const folders = toolFolders(process.env);
  for (const folder of folders) {
    const initdb = path.join(folder, 'initdb');
    const pgCtl = path.join(folder, 'pg_ctl');
    if (isExecutable(initdb) && isExecutable(pgCtl)) return { initdb, pgCtl };
  }
  throw new PostgresUnavailableError(
    `the PostgreSQL server binaries initdb and pg_ctl are not on the PATH nor under ${DEBIAN_BINARIES}/*/bin: ${INSTALL_HINT}`,
  );
}

interface Owner {
  name: string;
  uid: number;
  gid: number;
}

function idOf(user: string, flag: '-u' | '-g'): number | undefined {
  const result = spawnSync('id', [flag, user], { encoding: 'utf8' });
  return result.status === 0 ? Number(result.stdout.trim()) : undefined;
}

/** PostgreSQL refuses to run as root: as root, the cluster belongs to `postgres` (or `nobody`). */
function clusterOwner(): Owner | undefined {
  if (process.getuid?.() !== 0) return undefined;
  if (spawnSync('runuser', ['--help'], { stdio: 'ignore' }).error) {
    throw new PostgresUnavailableError(
      'PostgreSQL refuses to run as root, and runuser (util-linux) is missing to run it as another user',
    );
  }
  for (const name of ['postgres', 'nobody']) {
    const uid = idOf(name, '-u');
    const gid = idOf(name, '-g');
    if (uid !== undefined && gid !== undefined) return { name, uid, gid };
  }
  throw new PostgresUnavailableError(
    'PostgreSQL refuses to run as root, and there is no `postgres` (nor `nobody`) user to run it as',
  );
}

/** The command line that runs a binary as the owner of the cluster. */
function asOwner(owner: Owner | undefined, command: string, args: string[]): [string, string[]] {
  return owner ? ['runuser', ['-u', owner.name, '--', command, ...args]] : [command, args];
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function tail(file: string, lines = 15): string {
  if (!fs.existsSync(file)) return '';
  return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

/** A throw-away cluster: fast (no fsync), trust on loopback, gone after stop(). */
export interface Cluster {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  /** The temporary folder holding the data folder, the socket and the log. */
  folder: string;
  /** Stops the server at once (`pg_ctl stop -m immediate`) and removes the folder; safe to call twice. */
  stop(): void;
  /**
   * Stops the cluster when the given process is gone, however it ends (even SIGKILL), from a small
   * detached shell that polls it each second; stop() ends that watcher too.
   */
  watch(pid: number): void;
}

// A throw-away cluster needs no durability; trust on loopback only; mmap for dynamic shared memory,
// as containers often give /dev/shm only 64 MB.
const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'fsync=off',
  'synchronous_commit=off',
  'full_page_writes=off',
  'dynamic_shared_memory_type=mmap',
  'max_connections=200',
];

/** Starts a new cluster in a temporary folder on a free loopback port; stop() it when done. */
export async function startCluster(): Promise<Cluster> {
  const { initdb, pgCtl } = findBinaries();
  const owner = clusterOwner();
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'simple-ticketing-pg-'));
  const dataDir = path.join(folder, 'data');
  const log = path.join(folder, 'postgres.log');
  const stopCommand = asOwner(owner, pgCtl, ['stop', '-D', dataDir, '-m', 'immediate', '-s']);
  let watcher: ChildProcess | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (watcher?.pid !== undefined && watcher.exitCode === null) {
      try {
        process.kill(-watcher.pid, 'SIGKILL'); // the watcher's own group: its shell and its sleep
      } catch {
        // Already gone.
      }
    }
    if (fs.existsSync(path.join(dataDir, 'postmaster.pid'))) spawnSync(...stopCommand, { stdio: 'ignore' });
    fs.rmSync(folder, { recursive: true, force: true });
  };

  try {
    if (owner) fs.chownSync(folder, owner.uid, owner.gid);
    const init = spawnSync(
      ...asOwner(owner, initdb, [
        '-D',
        dataDir,
        '-U',
        'postgres',
        '-A',
        'trust',
        '-E',
        'UTF8',
        '--locale=C.UTF-8',
        '--no-sync',
      ]),
      { encoding: 'utf8' },
    );
    if (init.status !== 0) {
      throw new PostgresUnavailableError(
        `initdb failed (${init.error?.message ?? `exit code ${init.status}`}): ${init.stderr?.trim() ?? ''}`,
      );
    }
    // A port found free may be taken before the server binds it: try another.
    for (let attempt = 1; ; attempt += 1) {
      const port = await freePort();
      // pg_ctl hands these to a shell: the folder is quoted.
      const options = [...SERVER_SETTINGS, `port=${port}`, `unix_socket_directories='${folder}'`]
        .map((setting) => `-c ${setting}`)
        .join(' ');
      const start = spawnSync(
        ...asOwner(owner, pgCtl, ['start', '-D', dataDir, '-l', log, '-w', '-t', '60', '-s', '-o', options]),
        { encoding: 'utf8' },
      );
      if (start.status === 0) {
        return {
          url: `postgres://postgres@127.0.0.1:${port}/postgres`,
          folder,
          stop,
          watch(pid) {
            const script =
              'pid=$1; folder=$2; shift 2; while kill -0 "$pid" 2>/dev/null; do sleep 1; done; ' +
              '[ -d "$folder" ] || exit 0; "$@" >/dev/null 2>&1; rm -rf "$folder"';
            const [command, args] = stopCommand;
            watcher = spawn('sh', ['-c', script, 'postgres-watcher', String(pid), folder, command, ...args], {
              detached: true,
              stdio: 'ignore',
            });
            watcher.unref();
          },
        };
      }
      const serverLog = tail(log);
      if (attempt < 3 && /could not bind|already in use/i.test(serverLog)) continue;
      throw new PostgresUnavailableError(
        `the PostgreSQL cluster did not start (pg_ctl: ${start.stderr?.trim() || `exit code ${start.status}`}); ` +
          `its log:\n${serverLog}`,
      );
    }
  } catch (error) {
    stop();
    throw error;
  }
}

/** Runs work on one connection to the server, closed afterwards. */
async function withClient<T>(serverUrl: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** The server's URL with its password hidden, for messages. */
export function redacted(serverUrl: string): string {
  try {
    const url = new URL(serverUrl);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

/** Checks that the server answers and lets us create databases; throws a plain message otherwise. */
export async function checkServer(serverUrl: string): Promise<void> {
  if (!/^postgres(ql)?:\/\//.test(serverUrl)) {
    throw new Error(`${TEST_DATABASE_URL_ENV} must be a postgres:// URL (got ${redacted(serverUrl)})`);
  }
  try {
    const { rows } = await withClient(serverUrl, (client) =>
      client.query<{ allowed: boolean }>(
        'SELECT rolcreatedb OR rolsuper AS allowed FROM pg_roles WHERE rolname = current_user',
      ),
    );
    if (!rows[0]?.allowed) throw new Error('its user may not create databases (CREATEDB)');
  } catch (error) {
    throw new Error(
      `${TEST_DATABASE_URL_ENV}=${redacted(serverUrl)} cannot be used for the tests: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

/** Creates an empty database (from template0, whatever template1 holds) and returns its URL. */
export async function createDatabase(serverUrl: string, name: string): Promise<string> {
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`not a test database name: ${name}`);
  await withClient(serverUrl, (client) =>
    client.query(`CREATE DATABASE ${escapeIdentifier(name)} TEMPLATE template0`),
  );
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** The names of the databases whose name starts with prefix. */
export async function databasesStartingWith(serverUrl: string, prefix: string): Promise<string[]> {
  const { rows } = await withClient(serverUrl, (client) =>
    client.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY datname',
      [prefix],
    ),
  );
  return rows.map((row) => row.datname);
}

/** Drops every database whose name starts with prefix, closing connections still open to them. */
export async function dropDatabasesStartingWith(serverUrl: string, prefix: string): Promise<string[]> {
  if (!prefix.startsWith(DATABASE_NAME_PREFIX)) throw new Error(`not a prefix of test databases: ${prefix}`);
  const names = await databasesStartingWith(serverUrl, prefix);
  await withClient(serverUrl, async (client) => {
    for (const name of names)
      await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
  });
  return names;
}

/**
 * Tells why tests are skipped. Jest prints no console output of a suite whose tests are all skipped,
 * so the reason goes to the file of the summary reporter (summary-reporter.cjs), printed once at the end.
 */
export function reportSkip(reason: string): void {
  const notes = process.env.SIMPLE_TICKETING_SKIP_NOTES;
  if (notes) fs.appendFileSync(notes, `${reason}\n`, { mode: 0o600 });
  else console.warn(`SKIPPED: ${reason}`);
}
