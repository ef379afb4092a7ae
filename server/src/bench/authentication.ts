type Post = (query: string, variables: object, token?: string) => Promise<unknown>;

const ME = '{ me { id } }';
const ROUNDS = 3;
const CONCURRENCY = 10;

/**
 * What authenticating costs per request: `{ me { id } }` anonymous (the baseline: no credential), with a
 * session JWT and with an API token, 10 requests in flight, in interleaved rounds (anonymous, session,
 * token, anonymous…) so drift falls on all; the median round of each is printed, with each one's extra
 * time per request over the baseline and the token/session ratio.
 */
export async function benchAuthentication(
  post: Post,
  sessionToken: string,
  apiToken: string,
  requestsPerRound: number,
): Promise<void> {
  const modes = { anonymous: undefined, session: sessionToken, 'API token': apiToken } as const;
  const results: Record<keyof typeof modes, { perSecond: number; meanMs: number }[]> = {
    anonymous: [],
    session: [],
    'API token': [],
  };
  for (const token of Object.values(modes)) await run(post, token, 200); // warm-up
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const [mode, token] of Object.entries(modes) as [keyof typeof modes, string | undefined][]) {
      results[mode].push(await run(post, token, requestsPerRound));
    }
  }
  const median = (mode: keyof typeof modes) =>
    [...results[mode]].sort((a, b) => a.perSecond - b.perSecond)[Math.floor(ROUNDS / 2)];
  const anonymous = median('anonymous');
  const session = median('session');
  const token = median('API token');
  console.log(
    `\nAuthentication, { me { id } }, ${CONCURRENCY} in flight, ${requestsPerRound} requests × ${ROUNDS} interleaved rounds (median round):`,
  );
  for (const [label, figures] of [
    ['anonymous (baseline)', anonymous],
    ['session JWT', session],
    ['API token (hash look-up, budget)', token],
  ] as const) {
    const extra =
      figures === anonymous
        ? ''
        : `   +${(figures.meanMs - anonymous.meanMs).toFixed(2)} ms over the baseline`;
    console.log(
      `  ${label.padEnd(34)} ${figures.perSecond.toFixed(0).padStart(6)} req/s   mean ${figures.meanMs.toFixed(2)} ms${extra}`,
    );
  }
  console.log(`  API token / session throughput ratio: ${(token.perSecond / session.perSecond).toFixed(2)}`);
}

async function run(
  post: Post,
  token: string | undefined,
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
