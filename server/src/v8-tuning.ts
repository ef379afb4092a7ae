import v8 from 'node:v8';

/**
 * V8 settings of the service process, set by main.ts before anything else loads.
 *
 * `--no-allocation-site-pretenuring`: V8 watches where objects are allocated and, when most objects
 * of one allocation site survive a young-generation collection, allocates that site's objects
 * straight into the old generation from then on. A request's rows and objects all die with the
 * request, but they are alive at whichever collection happens mid-request; after a small export or a
 * burst of requests V8 could decide to pretenure them, and every later batch then went to the old
 * generation, waiting for a full collection. Measured (server/src/bench/export-memory.ts, 100,000
 * tickets, Node.js 20): an export's peak was 17 MB above idle in some runs and 120–150 MB in others
 * (169 MB once in CI on Node.js 26), the difference being that decision; with pretenuring off, 17–19 MB
 * in 10 runs of 10. V8 reads this flag at each allocation decision, so setting it at start-up holds.
 */
export const V8_FLAGS = ['--no-allocation-site-pretenuring'] as const;

export function tuneV8(): void {
  for (const flag of V8_FLAGS) v8.setFlagsFromString(flag);
}
