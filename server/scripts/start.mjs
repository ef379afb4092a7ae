// `npm start`: runs the built service and nothing else (no build, lint or test step). A missing build,
// or one older than its sources, is refused with what to run.
// The service runs in this process, so a supervisor's SIGTERM reaches its graceful stop.
import { createRequire } from 'node:module';
import path from 'node:path';
import { requireFreshBuild, serverDist } from './ensure-built.mjs';

requireFreshBuild('npm start', ['server', 'client']);
createRequire(import.meta.url)(path.join(serverDist, 'main.js'));
