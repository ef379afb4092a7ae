// `npm start`: runs the built service, building it first on a fresh checkout.
// The service runs in this process, so a supervisor's SIGTERM reaches its graceful stop.
import { createRequire } from 'node:module';
import path from 'node:path';
import { ensureBuilt, serverDist } from './ensure-built.mjs';

ensureBuilt();
createRequire(import.meta.url)(path.join(serverDist, 'main.js'));
