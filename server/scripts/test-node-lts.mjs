#!/usr/bin/env node
// The integration suite (SQLite) again on the newest Node.js LTS lines, after npm test's run on the
// machine's Node.js. Each Node.js comes from the `node` package on npm (npx -y node@24); the service picks
// the better-sqlite3 that Node.js runs (server/src/database/sqlite-driver.ts), and the specs that open
// SQLite files themselves are given the same one. Lines: NODE_LTS_LINES (default "24 26"); arguments are
// passed to jest (a spec path runs that spec only). Under CI=true a Node.js that cannot be had fails the
// run; elsewhere it is SKIPPED.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import semver from 'semver';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const lines = (process.env.NODE_LTS_LINES ?? '24 26').split(/[\s,]+/).filter(Boolean);
const inCi = process.env.CI === 'true';
const driverModule = path.join(root, 'server', 'dist', 'database', 'sqlite-driver.js');
const jest = path.join(root, 'node_modules', 'jest', 'bin', 'jest.js');

if (!fs.existsSync(driverModule)) {
  console.error(`test-node-lts: ${driverModule} is missing: run npm run build first (npm test does).`);
  process.exit(1);
}

const outcomes = [];
for (const line of lines) outcomes.push(await runOn(line));

console.log('\nIntegration suite on the Node.js LTS lines:');
for (const outcome of outcomes) console.log(`  ${outcome.text}`);
process.exit(outcomes.some((outcome) => outcome.failed) ? 1 : 0);

async function runOn(line) {
  const started = Date.now();
  const obtained = obtainNode(line);
  if (obtained.error) {
    const text = `Node.js ${line}: npx -y node@${line} gave no Node.js (${obtained.error})`;
    if (inCi) return { failed: true, text: `FAILED: ${text}` };
    console.log(`SKIPPED: the integration suite on ${text}`);
    return { failed: false, text: `SKIPPED: ${text}` };
  }
  const { execPath, version } = obtained;
  const picked = spawnSync(execPath, ['-p', `require(${JSON.stringify(driverModule)}).sqliteModuleName`], {
    encoding: 'utf8',
  });
  if (picked.status !== 0) {
    return {
      failed: true,
      text: `FAILED on Node.js ${version}: the built service does not load (${lastLine(picked.stderr)})`,
    };
  }
  const moduleName = picked.stdout.trim();
  console.log(
    `\n=== Integration suite on Node.js ${version} (npx -y node@${line}: ${execPath}), SQLite with ${moduleName} ===`,
  );
  const jestArguments = [
    jest,
    '--selectProjects',
    'integration',
    // One file at a time, in a worker that jest.config.ts's workerIdleMemoryLimit replaces when it grows.
    '--maxWorkers=1',
    // Specs that import better-sqlite3 themselves get the release this Node.js runs, as the service does.
    `--moduleNameMapper=${JSON.stringify({ '^better-sqlite3$': moduleName })}`,
    ...process.argv.slice(2),
  ];
  // npm, npx and `#!/usr/bin/env node` scripts started by the specs run on this Node.js too.
  const env = { ...process.env, PATH: `${path.dirname(execPath)}${path.delimiter}${process.env.PATH ?? ''}` };
  const code = await new Promise((resolve) => {
    const child = spawn(execPath, jestArguments, { cwd: root, env, stdio: 'inherit' });
    child.once('exit', (exitCode, signal) => resolve(exitCode ?? signal));
  });
  const seconds = Math.round((Date.now() - started) / 1000);
  const took = `${seconds} s (${(seconds / 60).toFixed(1)} min)`;
  return code === 0
    ? { ran: true, version, failed: false, text: `passed on Node.js ${version} in ${took}` }
    : {
        ran: true,
        version,
        failed: true,
        text: `FAILED on Node.js ${version} (jest exited with ${code}) after ${took}`,
      };
}

/** The newest Node.js of an LTS line, from the `node` package on npm (it installs the official binary). */
function obtainNode(line) {
  const result = spawnSync(
    'npx',
    ['-y', `node@${line}`, '-e', 'process.stdout.write(JSON.stringify([process.execPath, process.version]))'],
    { cwd: root, encoding: 'utf8', timeout: 600_000 },
  );
  if (result.error) return { error: result.error.message };
  if (result.status !== 0) {
    // npm's reason, not the closing line that names its log file.
    const reason = result.stderr.split('\n').find((text) => /^npm error (?!code |A complete log)/.test(text));
    return { error: reason ?? (lastLine(result.stderr) || `npx exited with ${result.status}`) };
  }
  try {
    const [execPath, version] = JSON.parse(result.stdout);
    if (!semver.satisfies(version, line)) return { error: `it ran ${version}` };
    return { execPath, version };
  } catch {
    return { error: `unexpected output: ${lastLine(result.stdout)}` };
  }
}

function lastLine(text) {
  return text.trim().split('\n').pop() ?? '';
}
