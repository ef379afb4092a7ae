// `npm run bench`: the benchmark of issue 11 (server/src/bench/run.ts), from this tree's server build,
// refused with what to run when that build is missing or older than its sources.
import { createRequire } from 'node:module';
import { requireFreshBuild } from '../server/scripts/ensure-built.mjs';

requireFreshBuild('npm run bench', ['server']);
const { main } = createRequire(import.meta.url)('../server/dist/bench/run.js');
await main(process.argv.slice(2));
