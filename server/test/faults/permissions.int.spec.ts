import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from '../support/child-server';

/**
 * Finding 4 of the fault issue: password hashes, emails and internal notes must not be readable by
 * every local user. Under the common umask 022 the data folder is 0700 and every file in it 0600, and a
 * folder or database left wider by an older version is tightened at start.
 */
let folder: string;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-permissions-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

const FILES = [
  'ticketing.sqlite',
  'ticketing.sqlite-wal',
  'ticketing.sqlite-shm',
  'jwt-secret',
  'ticketing.limits.sqlite',
];

function modes(dataDir: string): Record<string, string> {
  const mode = (target: string) => (fs.statSync(target).mode & 0o777).toString(8).padStart(4, '0');
  return Object.fromEntries([
    ['.', mode(dataDir)],
    ...FILES.map((name) => [name, mode(path.join(dataDir, name))]),
  ]);
}

const PRIVATE = { '.': '0700', ...Object.fromEntries(FILES.map((name) => [name, '0600'])) };

async function writeSome(server: ChildServer): Promise<void> {
  const { token, projectId } = await server.adminAndProject();
  for (let i = 1; i <= 3; i += 1) {
    expect((await server.createTicket(token, projectId, `Door ${i} sticks`)).errors).toBeUndefined();
  }
}

test('a fresh data folder is 0700 and its files 0600 under umask 022', async () => {
  const dataDir = path.join(folder, 'fresh', 'data');
  const server = await ChildServer.start({ dataDir, umask: '022' });
  try {
    await writeSome(server);
    // While running, so that the WAL and shared-memory files are there too.
    expect(modes(dataDir)).toEqual(PRIVATE);
  } finally {
    await server.stop();
  }
}, 20_000);

test('a 0755 folder and a 0644 database left by an older version are tightened at start', async () => {
  const dataDir = path.join(folder, 'older', 'data');
  const first = await ChildServer.start({ dataDir, umask: '022' });
  await writeSome(first);
  expect(await first.stop()).toEqual({ code: 0, signal: null });
  fs.chmodSync(dataDir, 0o755);
  fs.chmodSync(path.join(dataDir, 'ticketing.sqlite'), 0o644);

  const second = await ChildServer.start({ dataDir, umask: '022' });
  try {
    expect(modes(dataDir)).toEqual(PRIVATE);
  } finally {
    await second.stop();
  }
}, 20_000);
