// `npm run backup -- FILE [--force]` with the built service, refusing a missing or stale build.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { requireFreshBuild, serverDist } from './ensure-built.mjs';

requireFreshBuild('npm run backup', ['server']);
const command = path.join(serverDist, 'scripts', 'backup.js');
if (!existsSync(command)) {
  console.error('The build predates the backup command: run npm run build, then this again.');
  process.exit(1);
}
createRequire(import.meta.url)(command);
