import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { freePort } from './support/child-server';
import { postGraphQL } from './support/graphql-client';
import { CREATE_PROJECT, CREATE_TICKET, REGISTER, TICKET } from './support/operations';

/**
 * What a user does with the release, on the Node.js running this spec: `npm pack`, install the tarball
 * in an empty folder with npm on this Node.js, run the bin. npm test runs it on the machine's Node.js,
 * then server/scripts/test-node-lts.mjs on the newest LTS lines.
 */
const repoRoot = path.resolve(__dirname, '..', '..');
const run = promisify(execFile);
const { version, engines } = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  engines: { node: string };
};
const supported = semver.satisfies(process.version, engines.node);
// The better-sqlite3 release the service opens SQLite with here (server/src/database/sqlite-driver.ts).
const usesRelease13 = Number(process.versions.napi) >= 10;
// npm and the bin's `#!/usr/bin/env node` find this Node.js first, whichever Node.js runs jest.
const onThisNode: NodeJS.ProcessEnv = {
  ...process.env,
  PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
};

// Installing needs the registry; offline on a laptop is a skip, in CI a failure.
const registryReachable = spawnSync('npm', ['ping'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
if (!registryReachable && process.env.CI === 'true') {
  throw new Error('npm cannot reach the registry: the install-from-tarball test cannot run in CI');
}
if (!registryReachable) console.warn('package.int.spec: skipped, npm cannot reach the registry (npm ping)');
const online = registryReachable ? describe : describe.skip;

online(`the packed package on Node.js ${process.version}`, () => {
  let workDir: string;
  let installDir: string;
  let tarball: string;
  let installOutput: string;
  let bin: string;

  beforeAll(async () => {
    if (!fs.existsSync(path.join(repoRoot, 'server', 'dist', 'main.js'))) {
      throw new Error('no build: run npm run build first (npm test does)');
    }
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-package-'));
    // Under a dot folder, as npx installs into ~/.npm/_npx: a path with a dot segment must still serve.
    installDir = path.join(workDir, '.npx', 'install');
    fs.mkdirSync(installDir, { recursive: true });

    let started = Date.now();
    // The build exists: prepack would only build it again.
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], {
      cwd: repoRoot,
      maxBuffer: 16 * 1024 * 1024,
    });
    const [{ filename, size }] = JSON.parse(packed.stdout) as { filename: string; size: number }[];
    console.log(`npm pack: ${filename}, ${(size / 1e6).toFixed(1)} MB in ${Date.now() - started} ms`);
    tarball = path.join(workDir, filename);

    const versions = await run('npm', ['version', '--json'], { cwd: installDir, env: onThisNode });
    const { npm, node } = JSON.parse(versions.stdout) as { npm: string; node: string };
    expect(node).toBe(process.versions.node);

    started = Date.now();
    const installed = await run(
      'npm',
      ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball],
      { cwd: installDir, env: onThisNode, maxBuffer: 16 * 1024 * 1024 },
    );
    installOutput = `${installed.stdout}\n${installed.stderr}`;
    console.log(`npm ${npm} on Node.js ${node} installed the tarball in ${Date.now() - started} ms`);
    bin = path.join(installDir, 'node_modules', '.bin', 'simple-ticketing');
  }, 600_000);

  afterAll(() => {
    if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  });

  test(
    supported
      ? `npm installs it with no engine warning (engines: ${engines.node})`
      : `npm warns that this Node.js is past the supported lines (engines: ${engines.node})`,
    () => {
      const warnedPackages = [...installOutput.matchAll(/EBADENGINE\s+package: '([^']+)'/g)].map(
        ([, name]) => name,
      );
      if (supported) expect(warnedPackages).toEqual([]);
      else expect(warnedPackages).toContain(`simple-ticketing@${version}`);
    },
  );

  test('every installed package accepts every Node.js that engines declares', async () => {
    const { stdout } = await run('npm', ['query', '*'], {
      cwd: installDir,
      env: onThisNode,
      maxBuffer: 64 * 1024 * 1024,
    });
    const packages = JSON.parse(stdout) as { name: string; version: string; engines?: { node?: string } }[];
    const narrower = packages
      .filter(({ engines: theirs }) => theirs?.node && !semver.subset(engines.node, theirs.node))
      .map(({ name, version: theirVersion, engines: theirs }) => `${name}@${theirVersion}: ${theirs?.node}`);
    expect(narrower).toEqual([]);
  });

  test('the bin tells its version', async () => {
    const { stdout } = await run(bin, ['--version'], { cwd: installDir, env: onThisNode });
    expect(stdout.trim()).toBe(version);
  });

  test('the installed SQLite driver survives statements freed by the garbage collector', () => {
    // better-sqlite3 12 aborts here on Node.js 24 ("Assertion failed: (env) != nullptr"), within a second.
    const driver = path.join(
      installDir,
      'node_modules',
      'simple-ticketing',
      'server',
      'dist',
      'database',
      'sqlite-driver.js',
    );
    const script = `
      const { openSqlite, sqliteModuleName } = require(${JSON.stringify(driver)});
      const db = openSqlite(':memory:');
      for (let i = 0; i < 40000; i++) db.prepare('SELECT ?').get(i);
      setTimeout(() => {
        const garbage = [];
        for (let i = 0; i < 300000; i++) garbage.push({ i });
        const { version } = require(require.resolve(sqliteModuleName + '/package.json', { paths: [${JSON.stringify(installDir)}] }));
        process.stdout.write(sqliteModuleName + ' ' + version);
      }, 0);`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect({ status: result.status, signal: result.signal, stderr: result.stderr }).toEqual({
      status: 0,
      signal: null,
      stderr: '',
    });
    console.log(`Node.js ${process.version} opens SQLite with ${result.stdout}`);
  }, 90_000);

  test('the bin serves the web client and the API on SQLite in ./data, keeps a ticket across a restart, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env = onDefaults(port);
    const url = `http://127.0.0.1:${port}`;

    let started = Date.now();
    const first = startBin(bin, installDir, env);
    let token: string;
    let ticketId: string;
    try {
      await waitForHealth(url, first);
      console.log(`simple-ticketing answered /healthz after ${Date.now() - started} ms`);
      if (process.platform === 'linux' && first.child.pid !== undefined) {
        // The bin's `#!/usr/bin/env node` ran this Node.js, not another one on the PATH.
        expect(fs.realpathSync(`/proc/${first.child.pid}/exe`)).toBe(fs.realpathSync(process.execPath));
      }

      const home = await fetch(`${url}/`);
      expect(home.status).toBe(200);
      expect(home.headers.get('content-type')).toMatch(/text\/html/);
      const packedIndex = path.join(
        installDir,
        'node_modules',
        'simple-ticketing',
        'client',
        'dist',
        'index.html',
      );
      expect(await home.text()).toBe(fs.readFileSync(packedIndex, 'utf8'));

      const registered = await postGraphQL(url, REGISTER, {
        input: { username: 'packer', email: 'packer@example.com', password: 'lighthouse keeper 1907' },
      });
      expect(registered.errors).toBeUndefined();
      expect(registered.data?.register.user).toMatchObject({ username: 'packer', role: 'ADMIN' });
      token = registered.data?.register.token as string;
      const project = await postGraphQL(url, CREATE_PROJECT, { input: { name: 'Lighthouse' } }, { token });
      expect(project.errors).toBeUndefined();
      const ticket = await postGraphQL(
        url,
        CREATE_TICKET,
        {
          input: {
            projectId: project.data?.createProject.id,
            title: 'The lamp flickers',
            description: 'Every night since the storm.',
            category: 'BUG',
          },
        },
        { token },
      );
      expect(ticket.errors).toBeUndefined();
      ticketId = ticket.data?.createTicket.id as string;
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await first.exited).toEqual({ code: 0, signal: null });
    expect(first.stderr()).not.toMatch(/Assertion failed|Segmentation fault|Aborted/);
    expect(fs.existsSync(path.join(installDir, 'data', 'ticketing.sqlite'))).toBe(true);

    started = Date.now();
    const second = startBin(bin, installDir, env);
    try {
      await waitForHealth(url, second);
      console.log(`simple-ticketing answered /healthz again after ${Date.now() - started} ms`);
      const read = await postGraphQL(url, TICKET, { id: ticketId }, { token });
      expect(read.errors).toBeUndefined();
      expect(read.data?.ticket).toMatchObject({ id: ticketId, title: 'The lamp flickers', status: 'OPEN' });
    } finally {
      second.child.kill('SIGTERM');
    }
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(second.stderr()).not.toMatch(/Assertion failed|Segmentation fault|Aborted/);
  }, 90_000);

  test(
    usesRelease13
      ? 'where better-sqlite3 12 cannot be built (no prebuilt binary, no compiler), the install runs on better-sqlite3 13'
      : 'where better-sqlite3 12 cannot be built, the bin says at start that this Node.js needs it',
    async () => {
      const bareDir = path.join(workDir, 'no-compiler');
      fs.mkdirSync(bareDir);
      // No prebuilt binary (build from source), and no Node.js headers to build against: node-gyp fails.
      const noBuild = {
        ...onThisNode,
        npm_config_build_from_source: 'true',
        npm_config_nodedir: path.join(workDir, 'no-headers'),
      };
      await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', tarball], {
        cwd: bareDir,
        env: noBuild,
        maxBuffer: 16 * 1024 * 1024,
      });
      expect(fs.existsSync(path.join(bareDir, 'node_modules', 'better-sqlite3'))).toBe(false);

      const port = await freePort();
      const running = startBin(
        path.join(bareDir, 'node_modules', '.bin', 'simple-ticketing'),
        bareDir,
        onDefaults(port),
      );
      if (!usesRelease13) {
        expect((await running.exited).code).not.toBe(0);
        expect(running.stderr()).toContain(
          `Node.js ${process.version} needs better-sqlite3 12, which did not install`,
        );
        return;
      }
      const url = `http://127.0.0.1:${port}`;
      try {
        await waitForHealth(url, running);
        const registered = await postGraphQL(url, REGISTER, {
          input: { username: 'bare', email: 'bare@example.com', password: 'lighthouse keeper 1907' },
        });
        expect(registered.errors).toBeUndefined();
      } finally {
        running.child.kill('SIGTERM');
      }
      expect(await running.exited).toEqual({ code: 0, signal: null });
    },
    120_000,
  );
});

/** The bin on this Node.js with its defaults, which are under test: nothing inherited may point elsewhere. */
function onDefaults(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...onThisNode, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn' };
  for (const name of ['DATA_DIR', 'CLIENT_DIR', 'DATABASE_URL', 'NODE_ENV']) delete env[name];
  return env;
}

interface RunningBin {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

function startBin(bin: string, cwd: string, env: NodeJS.ProcessEnv): RunningBin {
  const child = spawn(bin, [], { cwd, env });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => stderr };
}

async function waitForHealth(url: string, running: RunningBin): Promise<void> {
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void running.exited.then((result) => (exit = result));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (exit) throw new Error(`simple-ticketing exited (${JSON.stringify(exit)}): ${running.stderr()}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`simple-ticketing was not healthy after 30 s: ${running.stderr()}`);
}
