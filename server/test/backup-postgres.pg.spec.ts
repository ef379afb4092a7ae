import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Client } from 'pg';
import { ChildServer } from './support/child-server';
import { LOGIN, TICKETS } from './support/operations';
import { FILE_DATABASES_ENV, POSTGRES_SERVER_ENV, createDatabase } from './support/postgres';

/*
 * `npm run backup` and `npm run restore` on PostgreSQL (pg_dump, pg_restore and psql), as an operator runs
 * them against the built service in its own process, each service on a fresh database of the test cluster.
 */

jest.setTimeout(180_000);

const dist = path.resolve(__dirname, '..', 'dist', 'scripts');
const KEEPER = { login: 'keeper', password: 'lighthouse keeper 1907' };
/** PostgreSQL needs JWT_SECRET; one for every service here, so that only the instance id can end a session. */
const SECRET = { JWT_SECRET: 'a secret shared by every database of this file, 32+ chars' };

interface Run {
  code: number;
  stderr: string;
  stdout: string;
}

/** Runs the built command (what server/scripts/x.mjs loads) in its own process. */
function command(name: 'backup' | 'restore', args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(dist, `${name}.js`), ...args],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const folders: string[] = [];
function tempFolder(): string {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-pg-backup-'));
  folders.push(folder);
  return folder;
}

let databases = 0;
/** A fresh, empty database on the test server (dropped with the others of this file after it). */
function newDatabase(): Promise<string> {
  databases += 1;
  return createDatabase(
    process.env[POSTGRES_SERVER_ENV]!,
    `${process.env[FILE_DATABASES_ENV]}_b${databases}`,
  );
}

async function sql<T = Record<string, unknown>>(url: string, text: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

const instanceOf = async (url: string) =>
  (await sql<{ id: string }>(url, 'SELECT "id" FROM "instance"'))[0].id;
const count = async (url: string, table: string) =>
  Number((await sql<{ n: string }>(url, `SELECT count(*) AS n FROM "${table}"`))[0].n);

function startService(url: string): Promise<ChildServer> {
  return ChildServer.start({ dataDir: tempFolder(), env: { DATABASE_URL: url, ...SECRET } });
}

async function allTicketIds(server: ChildServer, token: string): Promise<Set<string>> {
  const ids = new Set<string>();
  let after: string | null = null;
  for (;;) {
    const { tickets } = await server.ok(TICKETS, { first: 100, after }, token);
    for (const node of tickets.nodes as { id: string }[]) ids.add(node.id);
    if (!tickets.pageInfo.hasNextPage) return ids;
    after = tickets.pageInfo.endCursor as string;
  }
}

afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

/** A database of ours with an account and a ticket, made by the service (stopped), and its backup. */
let sampleUrl: string;
let sample: string;
let sampleToken: string;

beforeAll(async () => {
  sampleUrl = await newDatabase();
  const server = await startService(sampleUrl);
  const { token, projectId } = await server.adminAndProject();
  sampleToken = token;
  await server.createTicket(token, projectId, 'The lamp flickers');
  await server.stop();
  sample = path.join(tempFolder(), 'sample.pgdump');
  const backup = await command('backup', [sample], { DATABASE_URL: sampleUrl });
  expect(backup).toMatchObject({ code: 0, stdout: '' });
  expect(backup.stderr).toMatch(
    /Backed up 1 tickets \(\d+\.\d MB, archive check ok\) into .*sample\.pgdump in \d+\.\d s\.\n$/,
  );
});

test('the backup is a pg_dump archive of our tables, readable by its owner only', () => {
  expect(fs.readFileSync(sample).subarray(0, 5).toString()).toBe('PGDMP');
  expect(fs.statSync(sample).mode & 0o777).toBe(0o600);
  expect(fs.existsSync(`${sample}.partial`)).toBe(false);
  const list = execFileSync('pg_restore', ['--list', sample], { encoding: 'utf8' });
  expect(list).toMatch(/TABLE DATA public ticket /);
});

test('restored into an empty database: the same data under a new instance id, so old sessions end', async () => {
  const url = await newDatabase();
  const restore = await command('restore', [sample], { DATABASE_URL: url });
  expect(restore).toMatchObject({ code: 0, stdout: '' });
  expect(restore.stderr).toMatch(
    /^Restored 1 tickets \(\d+\.\d MB archive\) from .*sample\.pgdump into postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ in \d+\.\d s\.\nStart the service: everyone signs in again/,
  );
  expect(await instanceOf(url)).not.toBe(await instanceOf(sampleUrl));
  expect(await count(url, 'user')).toBe(1);

  const restored = await startService(url);
  try {
    const stale = await restored.gql(TICKETS, { first: 1 }, sampleToken);
    expect(stale.errors?.[0]).toMatchObject({ message: expect.stringMatching(/session has ended/i) });
    const { login } = await restored.ok(LOGIN, { input: KEEPER });
    const { tickets } = await restored.ok(TICKETS, { first: 10 }, login.token as string);
    expect(tickets.edges.map((edge: { node: { title: string } }) => edge.node.title)).toEqual([
      'The lamp flickers',
    ]);
    // The service goes on where the backup ended: new ids do not collide with restored ones.
    const { projects } = await restored.ok('{ projects { id } }', {}, login.token as string);
    const after = await restored.createTicket(
      login.token as string,
      projects[0].id as string,
      'After the restore',
    );
    expect(after.errors).toBeUndefined();
  } finally {
    await restored.stop();
  }
});

test('restore refuses a database that holds data unless --force, which replaces our tables in one go', async () => {
  const url = await newDatabase();
  const server = await startService(url);
  const { token, projectId } = await server.adminAndProject();
  await server.createTicket(token, projectId, 'First of the target');
  await server.createTicket(token, projectId, 'Second of the target');
  await server.stop();
  await sql(url, 'CREATE TABLE "notes_of_the_dba" ("line" text)');
  const before = await instanceOf(url);

  const refused = await command('restore', [sample], { DATABASE_URL: url });
  expect(refused.code).toBe(3);
  expect(refused.stderr).toMatch(
    /^The database postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+ holds data \(1 accounts, 2 tickets; tables not in the backup: notes_of_the_dba\): with the service stopped, add --force to replace it/,
  );
  expect(await instanceOf(url)).toBe(before);
  expect(await count(url, 'ticket')).toBe(2);

  const forced = await command('restore', [sample, '--force'], { DATABASE_URL: url });
  expect(forced.code).toBe(0);
  expect(forced.stderr).toContain('Tables not in the backup were left as they were: notes_of_the_dba.');
  expect(await count(url, 'ticket')).toBe(1);
  expect(await instanceOf(url)).not.toBe(before);
  expect(await instanceOf(url)).not.toBe(await instanceOf(sampleUrl));
});

test('a database the service made but nobody used yet is no data: it is replaced without --force', async () => {
  const url = await newDatabase();
  const server = await startService(url);
  await server.stop();
  const restore = await command('restore', [sample], { DATABASE_URL: url });
  expect(restore.code).toBe(0);
  expect(await count(url, 'ticket')).toBe(1);
});

test('restore refuses while the service is connected, --force or not', async () => {
  const url = await newDatabase();
  const server = await startService(url);
  try {
    const result = await command('restore', [sample, '--force'], { DATABASE_URL: url });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      // The service's pool, and its live updates' listening connection once it is up (one per instance).
      /is in use \(simple-ticketing ×\d+(, simple-ticketing-live ×1)? connected; the service is running\?\): stop the service, then restore\.\n$/,
    );
    expect((await server.health()).status).toBe(200);
  } finally {
    await server.stop();
  }
});

test('a damaged archive changes nothing: the restore is one transaction', async () => {
  const url = await newDatabase();
  expect((await command('restore', [sample], { DATABASE_URL: url })).code).toBe(0);
  const before = await instanceOf(url);
  const bytes = fs.readFileSync(sample);
  const folder = tempFolder();
  // Cut at many points: whichever step notices (the listing, the migrations, the replay), nothing changes.
  const noticed = new Set<string>();
  for (const keep of [0.5, 0.9, 0.97, 0.995, 0.999].map((share) => Math.floor(bytes.length * share))) {
    const cut = path.join(folder, `cut-${keep}.pgdump`);
    fs.writeFileSync(cut, bytes.subarray(0, keep));
    const result = await command('restore', [cut, '--force'], { DATABASE_URL: url });
    expect({ keep, code: result.code }).toEqual({ keep, code: 1 });
    expect(result.stderr).toMatch(/cannot be read|nothing was changed/);
    noticed.add(/nothing was changed \(one transaction\)/.test(result.stderr) ? 'replay' : 'check');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(await instanceOf(url)).toBe(before);
    expect(await count(url, 'ticket')).toBe(1);
  }
  // At least one cut passed the checks and failed in the replay, whose transaction was rolled back.
  expect([...noticed].sort()).toEqual(['check', 'replay']);
});

test('a backup of the other kind, a plain SQL dump, a foreign archive or one from a newer version is refused', async () => {
  const folder = tempFolder();
  const url = await newDatabase();
  const sqliteBackup = path.join(folder, 'backup.sqlite');
  const db = new BetterSqlite3(sqliteBackup);
  db.exec('CREATE TABLE "ticket" ("id" integer PRIMARY KEY)');
  db.close();

  const plain = path.join(folder, 'plain.sql');
  fs.writeFileSync(plain, execFileSync('pg_dump', ['--dbname', sampleUrl], { encoding: 'utf8' }));
  const foreignUrl = await newDatabase();
  await sql(foreignUrl, 'CREATE TABLE "recipes" ("name" text)');
  const foreign = path.join(folder, 'foreign.pgdump');
  execFileSync('pg_dump', ['--format=custom', `--file=${foreign}`, '--dbname', foreignUrl]);
  const newerUrl = await newDatabase();
  expect((await command('restore', [sample], { DATABASE_URL: newerUrl })).code).toBe(0);
  await sql(
    newerUrl,
    `INSERT INTO "migrations" ("timestamp", "name") VALUES (9999999999999, 'Future9999999999999')`,
  );
  const newer = path.join(folder, 'newer.pgdump');
  expect((await command('backup', [newer], { DATABASE_URL: newerUrl })).code).toBe(0);
  const text = path.join(folder, 'notes.txt');
  fs.writeFileSync(text, 'not a backup at all');

  const cases: [string, RegExp][] = [
    [
      sqliteBackup,
      /is an SQLite backup, and DATABASE_URL names a PostgreSQL database: .* use npm run export and npm run import\.\n$/,
    ],
    [plain, /is a plain SQL dump, not a backup made by npm run backup \(pg_dump --format=custom\)/],
    [foreign, /is a pg_dump archive, but not of a Simple Ticketing database/],
    [newer, /was made by a newer version of Simple Ticketing \(migration Future9999999999999 is unknown/],
    [text, /is not a backup of npm run backup: neither a pg_dump archive/],
  ];
  for (const [file, message] of cases) {
    const result = await command('restore', [file], { DATABASE_URL: url });
    expect({ file, code: result.code }).toEqual({ file, code: 1 });
    expect(result.stderr).toMatch(message);
  }
  expect(await sql(url, `SELECT * FROM pg_tables WHERE schemaname = 'public'`)).toEqual([]);

  // And the other way: a pg_dump archive is not put into an SQLite data folder.
  const intoSqlite = await command('restore', [sample], { DATA_DIR: tempFolder() });
  expect(intoSqlite.code).toBe(1);
  expect(intoSqlite.stderr).toMatch(
    /is a PostgreSQL backup \(pg_dump\), and the service's database is SQLite: .* use npm run export and npm run import\.\n$/,
  );
});

test('backup refuses a database that is not ours, and says why it cannot connect', async () => {
  const folder = tempFolder();
  const empty = await newDatabase();
  const notOurs = await command('backup', [path.join(folder, 'a.pgdump')], { DATABASE_URL: empty });
  expect(notOurs.code).toBe(1);
  expect(notOurs.stderr).toMatch(
    /is not a database of Simple Ticketing \(no migrations, instance or ticket table\)/,
  );
  expect(fs.readdirSync(folder)).toEqual([]);

  const nobody = new URL(empty);
  nobody.port = '1';
  const refused = await command('backup', [path.join(folder, 'b.pgdump')], {
    DATABASE_URL: nobody.toString(),
  });
  expect(refused.code).toBe(1);
  expect(refused.stderr).toMatch(
    /^Cannot connect to postgres:\/\/postgres@127\.0\.0\.1:1\/\w+: .*ECONNREFUSED/,
  );
  expect(refused.stderr).not.toMatch(/\n\s+at /);
});

test('the password reaches pg_dump in PGPASSWORD, never on its command line', async () => {
  // A stand-in pg_dump, newer than the real one so it is the one chosen, that notes what it was given.
  const bin = tempFolder();
  const fake = path.join(bin, 'pg_dump');
  fs.writeFileSync(
    fake,
    [
      '#!/bin/sh',
      `if [ "$1" = "--version" ]; then echo 'pg_dump (PostgreSQL) 99.0'; exit 0; fi`,
      `printf '%s\\n' "$@" > "$0.args"`,
      `printf '%s' "$PGPASSWORD" > "$0.password"`,
      `echo 'pg_dump: error: a stand-in' >&2`,
      'exit 1',
    ].join('\n'),
    { mode: 0o755 },
  );
  const withPassword = new URL(sampleUrl);
  withPassword.password = 'se%40cret%3Azebra';
  const folder = tempFolder();
  const result = await command('backup', [path.join(folder, 'c.pgdump')], {
    DATABASE_URL: withPassword.toString(),
    PATH: `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(
    /The backup failed \(pg_dump: error: a stand-in\); nothing was written to .*c\.pgdump\.\n$/,
  );
  expect(fs.readdirSync(folder)).toEqual([]);
  expect(fs.readFileSync(`${fake}.password`, 'utf8')).toBe('se@cret:zebra');
  const args = fs.readFileSync(`${fake}.args`, 'utf8');
  expect(args).toContain('--format=custom');
  expect(args).toMatch(/--dbname=postgres:\/\/postgres@127\.0\.0\.1:\d+\/\w+\n/);
  expect(args).not.toMatch(/zebra|se%40cret|se@cret/);
});

test('a backup taken under write load holds every ticket acknowledged before it started', async () => {
  const url = await newDatabase();
  const server = await startService(url);
  const { token, projectId } = await server.adminAndProject();
  const acknowledged: string[] = [];
  let writing = true;
  const writer = async (n: number) => {
    for (let i = 0; writing; i++) {
      const result = await server.createTicket(token, projectId, `Writer ${n}, ticket ${i}`);
      if (result.errors) throw new Error(JSON.stringify(result.errors));
      acknowledged.push((result.data as { createTicket: { id: string } }).createTicket.id);
    }
  };
  const writers = Array.from({ length: 6 }, (_, n) => writer(n));
  while (acknowledged.length < 60) await new Promise((resolve) => setTimeout(resolve, 20));

  const before = [...acknowledged];
  const file = path.join(tempFolder(), 'under-load.pgdump');
  const backup = await command('backup', [file], { DATABASE_URL: url });
  const duringBackup = acknowledged.length - before.length;
  writing = false;
  await Promise.all(writers);
  await server.stop();

  expect(backup).toMatchObject({ code: 0, stdout: '' });
  const backedUp = Number(/Backed up (\d+) tickets/.exec(backup.stderr)?.[1]);
  // The writers kept going while the backup ran: it did not block them.
  expect(duringBackup).toBeGreaterThan(0);

  const restoredUrl = await newDatabase();
  expect((await command('restore', [file], { DATABASE_URL: restoredUrl })).code).toBe(0);
  const restored = await startService(restoredUrl);
  try {
    const { login } = await restored.ok(LOGIN, { input: KEEPER });
    const present = await allTicketIds(restored, login.token as string);
    expect(before.filter((id) => !present.has(id))).toEqual([]);
    // The count said is the snapshot's, the one pg_dump wrote.
    expect(present.size).toBe(backedUp);
    console.log(
      `backup under load on PostgreSQL: ${before.length} tickets acknowledged before, ${duringBackup} during, ${present.size} in the backup`,
    );
  } finally {
    await restored.stop();
  }
});
