import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { ChildServer } from './support/child-server';
import { LOGIN, TICKETS } from './support/operations';

/* `npm run backup` and `npm run restore` as an operator runs them, against the built service in its own process. */

jest.setTimeout(120_000);

const dist = path.resolve(__dirname, '..', 'dist', 'scripts');
const KEEPER = { login: 'keeper', password: 'lighthouse keeper 1907' };
/** One token secret for the service and its restored copy, so that only the instance id can end a session. */
const SHARED_SECRET = { JWT_SECRET: 'a secret shared by both data folders, 32+ chars' };

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
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-backup-'));
  folders.push(folder);
  return folder;
}

afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

function sqlite<T>(file: string, read: (db: BetterSqlite3.Database) => T): T {
  const db = new BetterSqlite3(file);
  try {
    return read(db);
  } finally {
    db.close();
  }
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

/** A database of ours, with an account and a ticket, made by the service and stopped. */
let sample: string;
let sampleDir: string;

beforeAll(async () => {
  sampleDir = tempFolder();
  const server = await ChildServer.start({ dataDir: sampleDir });
  const { token, projectId } = await server.adminAndProject();
  await server.createTicket(token, projectId, 'The lamp flickers');
  await server.stop();
  sample = path.join(tempFolder(), 'sample.sqlite');
  expect((await command('backup', [sample], { DATA_DIR: sampleDir })).code).toBe(0);
});

test('a backup taken under write load is whole, and restored elsewhere holds every ticket acknowledged before it', async () => {
  const dataDir = tempFolder();
  const server = await ChildServer.start({ dataDir, env: SHARED_SECRET });
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
  const file = path.join(tempFolder(), 'under-load.sqlite');
  const backup = await command('backup', [file], { DATA_DIR: dataDir });
  const duringBackup = acknowledged.length - before.length;
  writing = false;
  await Promise.all(writers);
  await server.stop();

  expect(backup).toMatchObject({ code: 0, stdout: '' });
  expect(backup.stderr).toMatch(
    /Backed up (\d+) tickets \(\d+\.\d MB, integrity check ok\) into .+ in \d+\.\d s\.\n$/,
  );
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.existsSync(`${file}.partial`)).toBe(false);
  expect(sqlite(file, (db) => db.pragma('integrity_check', { simple: true }))).toBe('ok');
  // The writers kept going while the backup ran: it did not block them.
  expect(duringBackup).toBeGreaterThan(0);

  const restoredDir = tempFolder();
  const restore = await command('restore', [file], { DATA_DIR: restoredDir });
  expect(restore.code).toBe(0);
  expect(restore.stderr).toMatch(/Restored \d+ tickets .* into .*ticketing\.sqlite in \d+\.\d s\./);
  const restoredFile = path.join(restoredDir, 'ticketing.sqlite');
  expect(fs.statSync(restoredFile).mode & 0o777).toBe(0o600);

  const restored = await ChildServer.start({ dataDir: restoredDir, env: SHARED_SECRET });
  try {
    // A new instance id: a session issued before the restore has ended.
    const stale = await restored.gql(TICKETS, { first: 1 }, token);
    expect(stale.errors?.[0]).toMatchObject({ message: expect.stringMatching(/session has ended/i) });
    const { login } = await restored.ok(LOGIN, { input: KEEPER });
    const present = await allTicketIds(restored, login.token as string);
    expect(before.filter((id) => !present.has(id))).toEqual([]);
    console.log(
      `backup under load: ${before.length} tickets acknowledged before, ${duringBackup} during, ${present.size} in the backup`,
    );
  } finally {
    await restored.stop();
  }
});

test('restore refuses a database that holds data unless --force, and keeps the replaced one aside', async () => {
  const dataDir = tempFolder();
  fs.cpSync(sampleDir, dataDir, { recursive: true });
  const target = path.join(dataDir, 'ticketing.sqlite');
  const oldInstance = sqlite(target, (db) => db.prepare('SELECT id FROM instance').pluck().get());

  const refused = await command('restore', [sample], { DATA_DIR: dataDir });
  expect(refused.code).toBe(3);
  expect(refused.stderr).toBe(
    `The database ${target} holds data (1 accounts, 1 tickets): with the service stopped, add --force to replace it (it is kept as ticketing.sqlite.before-restore-<time>).\n`,
  );
  expect(fs.readdirSync(dataDir).filter((name) => name.includes('restore'))).toEqual([]);

  const forced = await command('restore', [sample, '--force'], { DATA_DIR: dataDir });
  expect(forced.code).toBe(0);
  const kept = fs.readdirSync(dataDir).filter((name) => name.startsWith('ticketing.sqlite.before-restore-'));
  expect(kept).toHaveLength(1);
  expect(forced.stderr).toContain(`The database it replaced is kept as ${path.join(dataDir, kept[0])}.`);
  expect(
    sqlite(path.join(dataDir, kept[0]), (db) => db.prepare('SELECT id FROM instance').pluck().get()),
  ).toBe(oldInstance);
  const newInstance = sqlite(target, (db) => db.prepare('SELECT id FROM instance').pluck().get());
  expect(newInstance).not.toBe(oldInstance);
  expect(fs.existsSync(`${target}.restore-partial`)).toBe(false);
});

test('restore refuses while the service runs', async () => {
  const dataDir = tempFolder();
  const server = await ChildServer.start({ dataDir });
  try {
    const result = await command('restore', [sample, '--force'], { DATA_DIR: dataDir });
    expect(result.code).toBe(3);
    expect(result.stderr).toMatch(
      /is in use \(the service is running\?\): stop the service, then restore\.\n$/,
    );
    expect((await server.health()).status).toBe(200);
  } finally {
    await server.stop();
  }
});

test('restore refuses a file that is not a database, not ours, or from a newer version', async () => {
  const folder = tempFolder();
  const dataDir = tempFolder();
  const text = path.join(folder, 'notes.txt');
  fs.writeFileSync(text, 'not a database at all, but long enough to look like a header of one. '.repeat(20));
  const foreign = path.join(folder, 'foreign.sqlite');
  sqlite(foreign, (db) => db.exec('CREATE TABLE recipes (name TEXT)'));
  const newer = path.join(folder, 'newer.sqlite');
  fs.copyFileSync(sample, newer);
  sqlite(newer, (db) =>
    db
      .prepare('INSERT INTO migrations (timestamp, name) VALUES (?, ?)')
      .run(9999999999999, 'Future9999999999999'),
  );

  const archive = path.join(folder, 'tickets.pgdump');
  fs.writeFileSync(archive, Buffer.concat([Buffer.from('PGDMP'), Buffer.alloc(2000, 1)]));

  const cases: [string, RegExp][] = [
    [text, /^The file .*notes\.txt is not an SQLite database\.\n$/],
    [
      archive,
      /^The file .*tickets\.pgdump is a PostgreSQL backup \(pg_dump\), and the service's database is SQLite: .* use npm run export and npm run import\.\n$/,
    ],
    [foreign, /is an SQLite database, but not one of Simple Ticketing/],
    [newer, /was made by a newer version of Simple Ticketing \(migration Future9999999999999 is unknown/],
    [path.join(folder, 'missing.sqlite'), /^No backup file at .*missing\.sqlite\.\n$/],
  ];
  for (const [file, message] of cases) {
    const result = await command('restore', [file], { DATA_DIR: dataDir });
    expect({ file, code: result.code }).toEqual({ file, code: 1 });
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
  expect(fs.readdirSync(dataDir)).toEqual([]);
});

test('backup refuses an existing file without --force and a missing folder; the copy replaces with --force', async () => {
  const folder = tempFolder();
  const existing = path.join(folder, 'existing.sqlite');
  fs.writeFileSync(existing, 'keep me');
  const refused = await command('backup', [existing], { DATA_DIR: sampleDir });
  expect(refused).toMatchObject({
    code: 3,
    stderr: `${existing} already exists: name a new file, or add --force to replace it.\n`,
  });
  expect(fs.readFileSync(existing, 'utf8')).toBe('keep me');

  const missing = path.join(folder, 'no-such-folder', 'b.sqlite');
  const noFolder = await command('backup', [missing], { DATA_DIR: sampleDir });
  expect(noFolder.code).toBe(1);
  expect(noFolder.stderr).toContain(`The folder ${path.dirname(missing)} does not exist`);

  expect((await command('backup', [existing, '--force'], { DATA_DIR: sampleDir })).code).toBe(0);
  expect(sqlite(existing, (db) => db.prepare('SELECT count(*) FROM ticket').pluck().get())).toBe(1);
});

test('usage, configuration errors and exit codes', async () => {
  const dataDir = tempFolder();
  for (const name of ['backup', 'restore'] as const) {
    const none = await command(name, [], { DATA_DIR: dataDir });
    expect(none.code).toBe(2);
    expect(none.stderr).toContain(`Usage: npm run ${name} -- FILE [--force]`);
    const unknown = await command(name, ['a.sqlite', '--forse'], { DATA_DIR: dataDir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^Unknown option '--forse'/);
    const help = await command(name, ['--help'], { DATA_DIR: dataDir });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain(`Usage: npm run ${name}`);
    // A bad setting is said as the service says it, without the usage: the arguments were right.
    for (const url of ['mysql://db/tickets', 'postgres:///tickets']) {
      const setting = await command(name, ['a.sqlite'], { DATABASE_URL: url });
      expect(setting.code).toBe(2);
      expect(setting.stderr).toMatch(/^Configuration error: DATABASE_URL\b.*\n$/);
    }
  }
  const noDatabase = await command('backup', [path.join(dataDir, 'b.sqlite')], {
    DATA_DIR: path.join(dataDir, 'x'),
  });
  expect(noDatabase.code).toBe(1);
  expect(noDatabase.stderr).toMatch(/^No database at .*: set DATA_DIR or DATABASE_URL to the service's\.\n$/);
});
