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
 *
 * `--heap-growing-percent=30`: after each full collection V8 lets the old generation grow by a factor it
 * picks from how fast the program allocates against how fast it collects, up to 4×. Under load a request's
 * objects outlive two young collections (ten requests in flight, a write waiting for its group commit) and
 * are promoted, dead soon after; with room to grow 4×, that garbage piled up to the limit before the next
 * full collection. Measured (`npm run bench`'s page, ticket and create scenarios in a row, 10,000 tickets,
 * one process): peak 373 MB and 527 creates a second without it, 194 MB and 602 with 1.3× (the ticket
 * page and `ticket(id)` no slower: 154 and 2,343 req/s against 130 and 1,903 in that pair of runs). V8
 * reads the flag at each full collection, so setting it at start-up holds.
 */
export const V8_FLAGS = ['--no-allocation-site-pretenuring', '--heap-growing-percent=30'] as const;

export function tuneV8(): void {
  for (const flag of V8_FLAGS) v8.setFlagsFromString(flag);
}
