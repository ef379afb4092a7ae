import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ChildServer, isListening } from '../support/child-server';

/**
 * Finding 6 of the fault issue: a broken data folder used to be served as if healthy. A damaged file,
 * a file that is not SQLite at all and a read-only filesystem are refused at start (exit code 3, a
 * message that says what is wrong and what to do, no port), and /healthz reports a database that cannot
 * take a write while running. The read-only and running cases need mounts (root, as in CI); where the
 * machine does not allow them they are skipped with a warning.
 */
const PAGE = 4096;
let folder: string;
const mounts: string[] = [];

function mount(...args: string[]): void {
  execFileSync('mount', args, { stdio: 'pipe' });
}

/** Whether this machine lets the tests mount (a tmpfs): root outside a restricted container. */
function canMount(): boolean {
  const probe = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-mount-probe-'));
  try {
    mount('-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe);
    execFileSync('umount', [probe]);
    return true;
  } catch {
    return false;
  } finally {
    fs.rmSync(probe, { recursive: true, force: true });
  }
}

const mountable = canMount();
if (!mountable) {
  console.warn(
    'broken-start: mounting is not permitted here (not root, or a container that forbids it): ' +
      'the read-only filesystem and /healthz-while-running cases are skipped',
  );
}
const withMounts = mountable ? test : test.skip;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-broken-start-'));
});
afterAll(() => {
  for (const target of mounts.reverse()) {
    try {
      execFileSync('umount', ['-l', target], { stdio: 'pipe' });
    } catch {
      // Already unmounted by the test.
    }
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

/** Creates a data folder holding an admin, a project and a few tickets, then stops the service. */
async function populatedDataDir(name: string, stop: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<string> {
  const dataDir = path.join(folder, name);
  const server = await ChildServer.start({ dataDir });
  const { token, projectId } = await server.adminAndProject();
  for (let i = 1; i <= 20; i += 1) {
    const result = await server.createTicket(token, projectId, `Boiler ${i} leaks ${'drip '.repeat(30)}`);
    expect(result.errors).toBeUndefined();
  }
  server.kill(stop);
  const exit = await server.exitWithin(10_000);
  expect(exit).toEqual(stop === 'SIGTERM' ? { code: 0, signal: null } : { code: null, signal: 'SIGKILL' });
  return dataDir;
}

/** Starts the service on dataDir and expects it to refuse: exit code 3, never listening. */
async function expectRefusal(dataDir: string): Promise<string> {
  const server = await ChildServer.spawn({ dataDir });
  const deadline = Date.now() + 10_000;
  let listened = false;
  while (!server.exit && !listened && Date.now() < deadline) {
    listened = await isListening(server.port);
    await Promise.race([server.exited, new Promise((resolve) => setTimeout(resolve, 50))]);
  }
  server.kill('SIGKILL');
  expect({ exit: await server.exitWithin(5000), listened }).toEqual({
    exit: { code: 3, signal: null },
    listened: false,
  });
  expect(server.stdout).not.toMatch(/is listening/);
  return server.stderr;
}

/** Overwrites with random bytes every page of the named tables and indexes (a LIKE pattern each). */
function damagePages(file: string, names: string[]): number[] {
  const db = new Database(file, { readonly: true });
  const pages = (
    db
      .prepare(
        `SELECT pageno FROM dbstat WHERE ${names.map(() => 'name LIKE ?').join(' OR ')} ORDER BY pageno`,
      )
      .all(...names) as { pageno: number }[]
  ).map((row) => row.pageno);
  db.close();
  const fd = fs.openSync(file, 'r+');
  for (const page of pages) fs.writeSync(fd, crypto.randomBytes(PAGE), 0, PAGE, (page - 1) * PAGE);
  fs.closeSync(fd);
  return pages;
}

// The schema, users and migrations are untouched, so the file opens and only a check finds the damage.
test.each([
  ['the ticket tables', ['ticket', 'job', 'IDX_ticket%', 'IDX_job%'], /failed its integrity check/],
  ['the search index', ['ticket_search%'], /failed its integrity check|is not a readable SQLite database/],
])(
  'a database with overwritten pages (%s) is refused at start, saying to restore a backup',
  async (what, names, problem) => {
    const dataDir = await populatedDataDir(`damaged ${what}`);
    const pages = damagePages(path.join(dataDir, 'ticketing.sqlite'), names);
    expect(pages.length).toBeGreaterThanOrEqual(5);
    expect(Math.min(...pages)).toBeGreaterThanOrEqual(3);

    const stderr = await expectRefusal(dataDir);
    expect(stderr).toMatch(/^Simple Ticketing cannot start: The database file .+ticketing\.sqlite /);
    expect(stderr).toMatch(problem);
    expect(stderr).toMatch(/restore the latest backup/);
  },
  20_000,
);

test('a file that is not SQLite at all is refused at start, saying to restore a backup', async () => {
  const dataDir = path.join(folder, 'not-sqlite');
  fs.mkdirSync(dataDir, { mode: 0o700 });
  fs.writeFileSync(path.join(dataDir, 'ticketing.sqlite'), crypto.randomBytes(8192), { mode: 0o600 });

  const stderr = await expectRefusal(dataDir);
  expect(stderr).toMatch(
    /^Simple Ticketing cannot start: The database file .+ is not a readable SQLite database/,
  );
  expect(stderr).toMatch(/restore the latest backup/);
}, 20_000);

/**
 * A read-only filesystem, the realistic case (as root, mode bits do not stop writes): a read-only bind
 * mount of a populated data folder. Without mounts, and not root: mode bits do stop writes.
 */
const readOnlyBy = mountable ? 'mount' : process.getuid?.() !== 0 ? 'chmod' : null;
if (!readOnlyBy) console.warn('broken-start: no way to make a folder read-only for root here: skipped');

// After a crash the WAL and shared-memory files are there, and SQLite alone would open the file read-only.
(readOnlyBy ? test.each : test.skip.each)([
  ['after a clean stop', 'SIGTERM'],
  ['after a crash', 'SIGKILL'],
] as const)(
  `a read-only data folder (%s) is refused at start, saying it cannot be written (${readOnlyBy})`,
  async (what, stop) => {
    const dataDir = await populatedDataDir(`writable ${what}`, stop);
    let readOnly = path.join(folder, `read-only ${what}`);
    if (readOnlyBy === 'mount') {
      fs.mkdirSync(readOnly);
      mount('--bind', dataDir, readOnly);
      mounts.push(readOnly);
      mount('-o', 'remount,bind,ro', readOnly);
    } else {
      readOnly = dataDir;
      for (const name of fs.readdirSync(dataDir)) fs.chmodSync(path.join(dataDir, name), 0o444);
      fs.chmodSync(dataDir, 0o555);
    }
    try {
      const stderr = await expectRefusal(readOnly);
      expect(stderr).toMatch(/^Simple Ticketing cannot start: The database file .+ cannot be .*writ/);
      expect(stderr).toMatch(/Make the data folder and its files writable .+ mounted read-write/);
    } finally {
      if (readOnlyBy === 'chmod') fs.chmodSync(dataDir, 0o700);
    }
  },
  20_000,
);

/**
 * While running: a filesystem cannot be remounted read-only under a process that holds files open for
 * writing (the kernel answers EBUSY; only its own error handling does it, irreversibly). The fault that
 * does happen to a running service and goes away is a full disk: a 3 MB tmpfs filled by another file.
 */
withMounts(
  '/healthz reports a database that cannot take a write, writes fail cleanly, and both recover',
  async () => {
    const disk = path.join(folder, 'small-disk');
    fs.mkdirSync(disk);
    mount('-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', disk);
    mounts.push(disk);
    const dataDir = path.join(disk, 'data');
    const server = await ChildServer.start({ dataDir });
    try {
      const { token, projectId } = await server.adminAndProject();
      expect((await server.createTicket(token, projectId, 'Before the disk filled')).errors).toBeUndefined();

      const balloon = path.join(disk, 'balloon');
      const fd = fs.openSync(balloon, 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(64 * 1024, 1));
      } catch (error) {
        expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
      } finally {
        fs.closeSync(fd);
      }

      const refused = await server.createTicket(token, projectId, 'While the disk is full');
      expect(refused.data ?? null).toBeNull();
      expect(refused.errors).toHaveLength(1);
      expect(refused.errors![0].extensions).toEqual({
        code: 'INTERNAL_SERVER_ERROR',
        reason: 'STORAGE_UNAVAILABLE',
      });
      expect(refused.errors![0].message).not.toMatch(/sqlite|SQL|INSERT|ticket"|\//i);

      const unhealthy = await waitForHealth(server, 503, 2500);
      expect(unhealthy.body).toMatchObject({ status: 'unavailable', reason: 'database' });

      fs.rmSync(balloon);
      expect((await waitForHealth(server, 200, 2500)).body).toEqual({ status: 'ok' });
      const after = await server.createTicket(token, projectId, 'After space came back');
      expect(after.errors).toBeUndefined();
      const list = await server.ok('{ tickets(first: 10) { nodes { title } } }', {}, token);
      expect(list.tickets.nodes.map((node: { title: string }) => node.title).sort()).toEqual([
        'After space came back',
        'Before the disk filled',
      ]);
    } finally {
      await server.stop();
    }
  },
  20_000,
);

/** Polls /healthz until it answers status (the probe result is reused for 1 s). */
async function waitForHealth(server: ChildServer, status: number, withinMs: number) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const health = await server.health();
    if (health.status === status || Date.now() > deadline) {
      expect(health.status).toBe(status);
      return health;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
