// Builds the service and the web client (`npm run build`) when a fresh checkout has no build yet,
// so `npm start` and `npm run seed:demo` both work right after `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const serverDist = path.join(root, 'server', 'dist');
const clientEntry = path.join(root, 'client', 'dist', 'index.html');

/**
 * Runs `npm run build` unless both the server and the client are built; exits when the build fails.
 * `stdoutIsData`: the command writes a file to standard output, so the build talks on standard error.
 */
export function ensureBuilt({ stdoutIsData = false } = {}) {
  if (existsSync(path.join(serverDist, 'main.js')) && existsSync(clientEntry)) return;
  (stdoutIsData ? console.error : console.log)(
    'No build yet: building the service and the web client (npm run build)…',
  );
  const stdio = stdoutIsData ? ['ignore', process.stderr, process.stderr] : 'inherit';
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
