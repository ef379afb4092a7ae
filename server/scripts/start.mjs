// `npm start`: runs the built service, building it first on a fresh checkout.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverEntry = path.join(root, 'server', 'dist', 'main.js');
const clientEntry = path.join(root, 'client', 'dist', 'index.html');

if (!existsSync(serverEntry) || !existsSync(clientEntry)) {
  console.log('First start: building the service and the web client (npm run build)…');
  const build = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

createRequire(import.meta.url)(serverEntry);
