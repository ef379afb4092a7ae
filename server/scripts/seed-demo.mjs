// `npm run seed:demo`: writes the demo data, building the service first on a fresh checkout.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureBuilt, serverDist } from './ensure-built.mjs';

ensureBuilt();
createRequire(import.meta.url)(path.join(serverDist, 'scripts', 'seed-demo.js'));
