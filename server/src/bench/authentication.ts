type Post = (query: string, variables: object, token?: string) => Promise<unknown>;

const ME = '{ me { id } }';
const ROUNDS = 3;
const CONCURRENCY = 10;

/**
 * What authenticating with an API token costs per request, beside a session JWT: `{ me { id } }` with
 * each, 10 requests in flight, in interleaved rounds (session, token, session…) so drift falls on both;
 * the median round of each is printed, and their ratio.
 */
export async function benchAuthentication(
  post: Post,
  sessionToken: string,
  apiToken: string,
  requestsPerRound: number,
): Promise<void> {
  const modes = { session: sessionToken, 'API token': apiToken } as const;
  const results: Record<keyof typeof modes, { perSecond: number; meanMs: number }[]> = {
    session: [],
    'API token': [],
  };
  for (const token of Object.values(modes)) await run(post, token, 200); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [mode, token] of Object.entries(modes) as [keyof typeof modes, string][]) {
      results[mode].push(await run(post, token, requestsPerRound));
    }
  }
  const median = (mode: keyof typeof modes) =>
    [...results[mode]].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(ROUNDS / 2)];
  const session = median('session');
  const token = median('API token');
  console.log(
    `\nAuthentication, { me { id } }, ${CONCURRENCY} in flight, ${requestsPerRound} requests × ${ROUNDS} interleaved rounds (median round):`,
  );
  for (const [label, figures] of [
    ['session JWT', session],
    ['API token (hash look-up, budget)', token],
  ] as const) {
    console.log(
      `  ${label.padEnd(34)} ${figures.perSecond.toFixed(0).padStart(6)} req/s   mean ${figures.meanMs.toFixed(2)} ms`,
    );
  }
  console.log(
    `  API token / session throughput ratio: ${(token.perSecond / session.perSecond).toFixed(2)}; ` +
      `extra per request: ${(token.meanMs - session.meanMs).toFixed(3)} ms`,
  );
}

async function run(
  post: Post,
  token: string,
  requests: number,
): Promise<{ perSecond: number; meanMs: number }> {
  let next = 0;
  let totalMs = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < requests) {
      next += 1;
      const sent = performance.now();
      await post(ME, {}, token);
      totalMs += performance.now() - sent;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: requests / seconds, meanMs: totalMs / requests };
}
