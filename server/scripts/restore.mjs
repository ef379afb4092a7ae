// `npm run restore -- FILE [--force]` with the built service, refusing a missing or stale build.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { requireFreshBuild, serverDist } from './ensure-built.mjs';

requireFreshBuild('npm run restore', ['server']);
const command = path.join(serverDist, 'scripts', 'restore.js');
if (!existsSync(command)) {
  console.error('The build predates the restore command: run npm run build, then this again.');
  process.exit(1);
}
createRequire(import.meta.url)(command);
