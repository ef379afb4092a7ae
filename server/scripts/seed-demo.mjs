// `npm run seed:demo`: writes the demo data with the built service, refusing a missing or stale build.
import { createRequire } from 'node:module';
import path from 'node:path';
import { requireFreshBuild, serverDist } from './ensure-built.mjs';

requireFreshBuild('npm run seed:demo', ['server']);
createRequire(import.meta.url)(path.join(serverDist, 'scripts', 'seed-demo.js'));
