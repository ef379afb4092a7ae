// `npm run -s export -- --project ID --format json|csv [--part jobs] > file`, refusing a missing or stale
// build on standard error, since standard output is the file.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { requireFreshBuild, serverDist } from './ensure-built.mjs';

requireFreshBuild('npm run export', ['server']);
const command = path.join(serverDist, 'scripts', 'export.js');
if (!existsSync(command)) {
  console.error('The build predates the export command: run npm run build, then this again.');
  process.exit(1);
}
createRequire(import.meta.url)(command);
