import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from './support/child-server';

/*
 * `npm start` (server/scripts/start.mjs) and the commands beside it, run as the operator runs them on
 * a throw-away tree holding copies of the real scripts and a stand-in build: the real tree is never touched.
 */

jest.setTimeout(60_000);

const scripts = path.resolve(__dirname, '..', 'scripts');
const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

/** Times well apart, so no filesystem's timestamp granularity can blur them. */
const BUILT = new Date('2026-01-01T12:00:00Z');
const BEFORE = new Date('2026-01-01T11:00:00Z');
const AFTER = new Date('2026-01-01T13:00:00Z');

function write(file: string, text: string, time: Date): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  fs.utimesSync(file, time, time);
}

/** A checkout built after its last change: the stand-in service and commands say they ran, and their arguments. */
function builtTree(): string {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-start-'));
  folders.push(tree);
  for (const name of ['start.mjs', 'ensure-built.mjs', 'backup.mjs']) {
    fs.mkdirSync(path.join(tree, 'server', 'scripts'), { recursive: true });
    fs.copyFileSync(path.join(scripts, name), path.join(tree, 'server', 'scripts', name));
  }
  const sources = [
    'server/src/main.ts',
    'server/src/tickets/ticket.service.ts',
    'server/tsconfig.json',
    'server/tsconfig.build.json',
    'tsconfig.base.json',
    'client/src/App.svelte',
    'client/index.html',
    'client/public/favicon.svg',
    'client/vite.config.ts',
    'schema.graphql',
    'package-lock.json',
  ];
  for (const source of sources) write(path.join(tree, source), '// source\n', BEFORE);
  write(path.join(tree, 'server/dist/main.js'), "console.log('service ran');\n", BUILT);
  write(
    path.join(tree, 'server/dist/scripts/backup.js'),
    "console.log('backup ran ' + process.argv.slice(2).join(' '));\n",
    BUILT,
  );
  write(path.join(tree, 'client/dist/index.html'), '<!doctype html>\n', BUILT);
  return tree;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(tree: string, script: string, args: string[] = []): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(tree, 'server', 'scripts', script), ...args],
      { cwd: tree, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
    );
  });
}

const STALE = (newer: string, output: string, command = 'npm start') =>
  `The build is older than its sources (${newer} changed after ${output} was built): run npm run build, then ${command} again.\n`;

test('a fresh build is started, and nothing else runs', async () => {
  const tree = builtTree();
  // Specs are no part of the build, and dotfiles are editors' (swap files): neither makes it stale.
  write(path.join(tree, 'server/src/tickets/ticket.service.spec.ts'), '', AFTER);
  write(path.join(tree, 'client/src/.App.svelte.swp'), '', AFTER);
  expect(await run(tree, 'start.mjs')).toEqual({ code: 0, stdout: 'service ran\n', stderr: '' });
});

test('a missing build is refused with what to run, and nothing is built', async () => {
  const tree = builtTree();
  fs.rmSync(path.join(tree, 'client', 'dist'), { recursive: true });
  expect(await run(tree, 'start.mjs')).toEqual({
    code: 1,
    stdout: '',
    stderr: 'No build yet (client/dist/index.html is missing): run npm run build, then npm start again.\n',
  });
  expect(fs.existsSync(path.join(tree, 'client', 'dist'))).toBe(false);

  fs.rmSync(path.join(tree, 'server', 'dist'), { recursive: true });
  const noServer = await run(tree, 'start.mjs');
  expect(noServer.code).toBe(1);
  expect(noServer.stderr).toBe(
    'No build yet (server/dist/main.js is missing): run npm run build, then npm start again.\n',
  );
});

test.each([
  ['server/src/tickets/ticket.service.ts', 'server/dist/main.js'],
  ['server/tsconfig.build.json', 'server/dist/main.js'],
  ['tsconfig.base.json', 'server/dist/main.js'],
  ['client/src/App.svelte', 'client/dist/index.html'],
  ['client/src/routes/tickets/New.svelte', 'client/dist/index.html'],
  ['client/index.html', 'client/dist/index.html'],
  ['client/public/favicon.svg', 'client/dist/index.html'],
  ['client/vite.config.ts', 'client/dist/index.html'],
  ['schema.graphql', 'client/dist/index.html'],
  ['package-lock.json', 'client/dist/index.html'],
])('a build older than %s is refused, never served', async (source, output) => {
  const tree = builtTree();
  write(path.join(tree, source), '// changed after the build\n', AFTER);
  const result = await run(tree, 'start.mjs');
  expect(result).toEqual({ code: 1, stdout: '', stderr: STALE(source, output) });
});

test('a tree holding only the build (the packed package, an image) is never stale', async () => {
  const tree = builtTree();
  for (const entry of [
    'server/src',
    'client/src',
    'client/public',
    'client/index.html',
    'package-lock.json',
  ]) {
    fs.rmSync(path.join(tree, entry), { recursive: true });
  }
  expect(await run(tree, 'start.mjs')).toEqual({ code: 0, stdout: 'service ran\n', stderr: '' });
});

test('the commands check the server build only, and name themselves in the refusal', async () => {
  const tree = builtTree();
  write(path.join(tree, 'client/src/App.svelte'), '// changed\n', AFTER);
  expect(await run(tree, 'backup.mjs', ['b.sqlite'])).toEqual({
    code: 0,
    stdout: 'backup ran b.sqlite\n',
    stderr: '',
  });
  write(path.join(tree, 'server/src/main.ts'), '// changed\n', AFTER);
  expect(await run(tree, 'backup.mjs', ['b.sqlite'])).toEqual({
    code: 1,
    stdout: '',
    stderr: STALE('server/src/main.ts', 'server/dist/main.js', 'npm run backup'),
  });
});

test('the service says where to open it, and that the first account becomes the administrator until there is one', async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-start-data-'));
  folders.push(dataDir);
  const lines = (stdout: string) =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
  const first = await ChildServer.start({ dataDir, env: { LOG_LEVEL: 'info' } });
  // The hint follows the start by a read: wait for it before the first account exists.
  for (let waited = 0; !/No account yet/.test(first.stdout) && waited < 5000; waited += 50) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await first.adminAndProject();
  await first.stop();
  expect(lines(first.stdout)).toEqual(
    expect.arrayContaining([
      `Simple Ticketing is listening on ${first.url}: open http://localhost:${first.port} in a browser`,
      'No account yet: the first account registered becomes the administrator (ADMIN)',
    ]),
  );

  const second = await ChildServer.start({ dataDir, env: { LOG_LEVEL: 'info' } });
  await second.stop();
  expect(lines(second.stdout)).toContain(
    `Simple Ticketing is listening on ${second.url}: open http://localhost:${second.port} in a browser`,
  );
  expect(lines(second.stdout).filter((line) => /No account yet/.test(line))).toEqual([]);
});
