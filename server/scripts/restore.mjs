// `npm run restore -- FILE [--force]`: building first on a fresh checkout.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureBuilt, serverDist } from './ensure-built.mjs';

ensureBuilt();
const command = path.join(serverDist, 'scripts', 'restore.js');
if (!existsSync(command)) {
  console.error('The build predates the restore command: run npm run build, then this again.');
  process.exit(1);
}
createRequire(import.meta.url)(command);
