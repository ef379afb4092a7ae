import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { TestApi, type TestUser } from '../support/test-server';

/**
 * Finding 1 of the fault issue: once the disk is full, a failed COMMIT must not leave the connection in
 * a transaction that later writes nest into (acknowledged, never saved). Runs on a 3 MB tmpfs where the
 * machine allows mounting one (root, as in CI), otherwise on SQLite's max_page_count as a stand-in.
 */
const CREATE = `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`;
const WRITERS = 4;

let folder: string;
let mounted = false;
let api: TestApi | undefined;

function tryMount(dir: string): boolean {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-disk-full-'));
  mounted = tryMount(folder);
  console.warn(
    mounted
      ? 'disk-full: running on a 3 MB tmpfs'
      : 'disk-full: cannot mount a tmpfs here (not root?): using SQLite max_page_count as a stand-in',
  );
});

afterAll(async () => {
  await api?.server.close();
  if (mounted) execFileSync('umount', ['-l', folder]);
  fs.rmSync(folder, { recursive: true, force: true });
});

interface Round {
  acknowledged: number[];
  refused: { code: string; reason?: string; message: string }[];
}

/** WRITERS clients create tickets until each has been refused `refusalsEach` times. */
async function fill(
  client: TestApi,
  admin: TestUser,
  projectId: string,
  refusalsEach: number,
): Promise<Round> {
  const round: Round = { acknowledged: [], refused: [] };
  const description = 'x'.repeat(19_000);
  await Promise.all(
    Array.from({ length: WRITERS }, async (_, writer) => {
      let refusals = 0;
      for (let n = 0; refusals < refusalsEach && n < 300; n += 1) {
        const result = await client.gql<{ createTicket: { id: string } }>(
          CREATE,
          { input: { projectId, title: `Writer ${writer} ticket ${n}`, description } },
          { token: admin.token },
        );
        if (result.status === 200 && !result.errors && result.data?.createTicket) {
          round.acknowledged.push(Number(result.data.createTicket.id));
        } else {
          refusals += 1;
          const error = result.errors?.[0];
          round.refused.push({
            code: String(error?.extensions?.code),
            reason: error?.extensions?.reason,
            message: String(error?.message),
          });
        }
      }
    }),
  );
  return round;
}

test('a full disk refuses writes cleanly, never acknowledges an unsaved one, and recovers when space is freed', async () => {
  // Room to free later: a filler file on the small disk.
  const filler = path.join(folder, 'filler');
  if (mounted) fs.writeFileSync(filler, Buffer.alloc(1024 * 1024));
  api = await TestApi.start({ dataDir: folder });
  const { admin } = await api.registerAdminAndAgent();
  const projectId = await api.createProject(admin);
  if (!mounted) {
    const [{ page_count: pages }] = await api.server.services.database.dataSource.query('PRAGMA page_count');
    await api.server.services.database.dataSource.query(`PRAGMA max_page_count = ${Number(pages) + 300}`);
  }

  const full = await fill(api, admin, projectId, 5);
  expect(full.refused.length).toBeGreaterThanOrEqual(WRITERS * 5);
  for (const refusal of full.refused) {
    expect(refusal).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', reason: 'STORAGE_UNAVAILABLE' });
    expect(refusal.message).not.toMatch(/SQLITE|INSERT|COMMIT|\/tmp/);
  }
  await new Promise((resolve) => setTimeout(resolve, 1100));
  const sick = await api.http('/healthz');
  expect(sick.status).toBe(503);
  expect(sick.json).toMatchObject({
    status: 'unavailable',
    reason: 'database',
    detail: expect.stringMatching(/SQLITE_FULL/),
  });

  // Space again: writes are accepted and saved, with fresh ids.
  if (mounted) fs.rmSync(filler);
  else await api.server.services.database.dataSource.query('PRAGMA max_page_count = 1073741823');
  await new Promise((resolve) => setTimeout(resolve, 1100));
  expect((await api.http('/healthz')).status).toBe(200);
  const after: number[] = [];
  for (let n = 0; n < 5; n += 1) {
    const created = await api.ok<{ createTicket: { id: string } }>(
      CREATE,
      { input: { projectId, title: `After the disk was freed ${n}`, description: 'Small.' } },
      admin.token,
    );
    after.push(Number(created.createTicket.id));
  }
  const acknowledged = [...full.acknowledged, ...after];
  expect(new Set(acknowledged).size).toBe(acknowledged.length);

  // Everything acknowledged is in the file after a restart, with its opening job.
  await api.server.close();
  api = undefined;
  const file = new Database(path.join(folder, 'ticketing.sqlite'), { readonly: true });
  try {
    const saved = new Set(
      (
        file.prepare('SELECT t.id FROM ticket t JOIN job j ON j.ticketId = t.id').all() as { id: number }[]
      ).map((row) => row.id),
    );
    const lost = acknowledged.filter((id) => !saved.has(id));
    console.warn(
      `disk-full (${mounted ? 'tmpfs 3 MB' : 'max_page_count'}): ${acknowledged.length} acknowledged, ` +
        `${acknowledged.length - lost.length} saved, ${lost.length} lost, ${full.refused.length} refused cleanly`,
    );
    expect(lost).toEqual([]);
    expect(file.pragma('integrity_check', { simple: true })).toBe('ok');
  } finally {
    file.close();
  }
}, 60_000);

// Measured: the start fails below ~32 KB free; from 48 KB to 400 KB it starts and cannot write.
const FREE_KB = 128;

test('started on a (nearly) full disk: the service reads, and /healthz says it cannot write until space returns', async () => {
  const small = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-nearly-full-'));
  if (!tryMount(small)) {
    fs.rmSync(small, { recursive: true, force: true });
    console.warn('disk-full: start on a nearly full disk needs a tmpfs; skipped here');
    return;
  }
  const filler = path.join(small, 'filler');
  try {
    // The service made its database there before the disk filled up (a fresh start on a nearly full
    // disk would depend on how much its migrations write); it then restarts with FREE_KB left: room for
    // SQLite's shared-memory index and the first pages of its write-ahead log, not for writes.
    const before = await TestApi.start({ dataDir: small });
    await before.server.close();
    const space = fs.statfsSync(small);
    fs.writeFileSync(filler, Buffer.alloc(space.bavail * space.bsize - FREE_KB * 1024));
    const nearlyFull = await TestApi.start({ dataDir: small });
    try {
      const health = await nearlyFull.http('/healthz');
      expect(health.status).toBe(503);
      expect(health.json.detail).toMatch(/SQLITE_FULL/);
      expect((await nearlyFull.gql('{ me { id } }')).errors).toBeUndefined();
      fs.rmSync(filler);
      await new Promise((resolve) => setTimeout(resolve, 1100));
      expect((await nearlyFull.http('/healthz')).status).toBe(200);
    } finally {
      await nearlyFull.server.close();
    }
  } finally {
    execFileSync('umount', ['-l', small]);
    fs.rmSync(small, { recursive: true, force: true });
  }
});
