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
 * `--heap-growing-percent=30`: after each full collection V8 sets how far the old generation may grow
 * before the next one, by a factor it picks from how fast the program allocates against how fast it
 * collects, up to 4× (1.1× when it is reducing memory). This fixes the factor at 1.3×. Under load a
 * request's objects outlive two young collections (ten requests in flight, a write waiting for its group
 * commit) and are promoted, dead soon after; with room to grow 4×, that garbage piled up before the next
 * full collection. Measured: `npm run bench`'s page, ticket and create scenarios in a row, 10,000 tickets,
 * one process: peak 373 MB without, 194 MB with (one pair of runs; their throughputs no lower with it);
 * `ticket(id)` side by side, pinned: median ratio 0.99; the JSON import of 100,000 tickets, whose live
 * memory grows to the file's parsed form: 41–48 s either way, peak 934 → 740 MB. The trade: a program
 * whose live memory keeps growing collects more often. V8 reads the flag at each full collection, so
 * setting it at start-up holds; a value given on the command line (`node --heap-growing-percent=N
 * server/scripts/start.mjs`: Node.js refuses these V8 flags in NODE_OPTIONS) is left as given.
 */
export const V8_FLAGS = ['--no-allocation-site-pretenuring', '--heap-growing-percent=30'] as const;

/** The flags to set: those the operator has not given on the command line (`node --flag …`), by name. */
export function flagsToSet(flags: readonly string[], execArgv: readonly string[]): string[] {
  const nameOf = (flag: string) =>
    flag
      .split('=')[0]
      .replace(/^--(no-)?/, '')
      .replaceAll('_', '-');
  const given = new Set(execArgv.filter((arg) => arg.startsWith('--')).map(nameOf));
  return flags.filter((flag) => !given.has(nameOf(flag)));
}

export function tuneV8(): void {
  for (const flag of flagsToSet(V8_FLAGS, process.execArgv)) {
    v8.setFlagsFromString(flag);
  }
}
