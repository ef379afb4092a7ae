import net from 'node:net';
import autocannon from 'autocannon';
import { type Expectation, problemOf } from './checks';
import { type LatencySummary, summarize } from './figures';

/**
 * The bench's second process: `node load.js '<json>'` loads the server with autocannon (keep-alive,
 * loopback) or probes it, and prints one JSON line of results. It never runs in the server's process.
 *
 * Every answer's status is counted and every 200's body is searched for `"errors"`; the first answers
 * (one per connection) and one in fifty are checked in full against the scenario's {@link Expectation}.
 */
export interface LoadJob {
  mode: 'load';
  url: string;
  path: string;
  body: string;
  headers: Record<string, string>;
  /** One Authorization header per connection, in turn (10 writers, 10 accounts). */
  tokens?: string[];
  connections: number;
  duration: number;
  expectation: Expectation;
}

export interface ProbeJob {
  mode: 'probe';
  url: string;
  /** The service's HEALTH_PORT listener, checked alike; absent or not answering (an older build): not timed. */
  healthUrl?: string;
  duration: number;
}

export interface LoadResult {
  /** Every answer, refusals included. */
  requests: number;
  seconds: number;
  /** Answers 200 per second: refusals are not throughput. */
  rps: number;
  latency: LatencySummary;
  /** Latency of the 200 answers alone (overload: those the service accepted). */
  acceptedLatency: LatencySummary;
  statuses: Record<string, number>;
  checked: number;
  problems: string[];
  refusedWithoutRetryAfter: number;
  socketErrors: number;
  timeouts: number;
}

export interface ProbeResult {
  /** GET /healthz on the service's port. */
  healthz: LatencySummary & { failures: number };
  /** GET /healthz on HEALTH_PORT, null when the service has none. */
  healthPort: (LatencySummary & { failures: number }) | null;
  connect: LatencySummary & { failures: number };
}

const FULL_CHECK_EVERY = 50;

export function runLoad(job: LoadJob): Promise<LoadResult> {
  const latencies: number[] = [];
  const accepted: number[] = [];
  const statuses: Record<string, number> = {};
  const problems: string[] = [];
  let checked = 0;
  let answered = 0;
  let refusedWithoutRetryAfter = 0;
  let client = 0;
  const report = (problem: string) => {
    if (problems.length < 10) problems.push(problem);
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: job.url,
        connections: job.connections,
        duration: job.duration,
        timeout: 30,
        requests: [
          {
            method: 'POST',
            path: job.path,
            headers: { 'content-type': 'application/json', ...job.headers },
            body: job.body,
            onResponse(status, body, _context, headers) {
              answered += 1;
              if (status === 200) {
                if (answered <= job.connections || answered % FULL_CHECK_EVERY === 0) {
                  checked += 1;
                  const problem = problemOf(job.expectation, body);
                  if (problem) report(problem);
                } else if (body.includes('"errors"')) {
                  report(`errors: ${body.slice(0, 300)}`);
                }
              } else if (status === 503) {
                // A refusal (load shedding) is counted, not measured: it must say when to come back.
                const retryAfter = Object.entries(headers).find(
                  ([name]) => name.toLowerCase() === 'retry-after',
                );
                if (!retryAfter) refusedWithoutRetryAfter += 1;
              } else if (problems.length < 10) {
                report(`status ${status}: ${body.slice(0, 200)}`);
              }
            },
          },
        ],
        setupClient: job.tokens
          ? (connection) => {
              const token = job.tokens![client % job.tokens!.length];
              client += 1;
              connection.setHeaders({
                'content-type': 'application/json',
                ...job.headers,
                authorization: `Bearer ${token}`,
              });
            }
          : undefined,
      },
      (error, result) => {
        if (error) return reject(error);
        const requests = latencies.length;
        resolve({
          requests,
          seconds: result.duration,
          rps: accepted.length / result.duration,
          latency: summarize(latencies),
          acceptedLatency: summarize(accepted),
          statuses,
          checked,
          problems,
          refusedWithoutRetryAfter,
          socketErrors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, time: number) => {
      latencies.push(time);
      if (status === 200) accepted.push(time);
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
}

/** What the probe prints once it is ready to time, before the load starts (processes.ts waits for it). */
export const PROBE_READY = 'probe ready';

/** GET /healthz on a connection of its own, timed; a failure counts, with its time. */
class HealthChecks {
  readonly times: number[] = [];
  failures = 0;

  constructor(private readonly origin: string) {}

  async once(): Promise<void> {
    const started = performance.now();
    try {
      const response = await fetch(`${this.origin}/healthz`, {
        headers: { connection: 'close' },
        signal: AbortSignal.timeout(10_000),
      });
      await response.arrayBuffer();
      if (response.status !== 200) this.failures += 1;
    } catch {
      this.failures += 1;
    }
    this.times.push(performance.now() - started);
  }

  summary(): LatencySummary & { failures: number } {
    return { ...summarize(this.times), failures: this.failures };
  }
}

/** Whether origin answers GET /healthz at all, whatever the status (untimed: the first fetch loads the HTTP client). */
async function answersHealth(origin: string): Promise<boolean> {
  try {
    const response = await fetch(`${origin}/healthz`, {
      headers: { connection: 'close' },
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/**
 * While the overload runs: GET /healthz every 50 ms on its own connection each time, on the service's
 * port and on its HEALTH_PORT, and a new TCP connection every 100 ms, timed until it is accepted (the
 * handshake done), then closed. One check and one connection first, untimed: a process's first fetch
 * loads its HTTP client (50–130 ms measured here), the prober's own cost, which was counted as the
 * service's in the first check of every run.
 */
export async function runProbe(job: ProbeJob, ready: () => void = () => {}): Promise<ProbeResult> {
  const url = new URL(job.url);
  await answersHealth(url.origin);
  const healthUrl = job.healthUrl && (await answersHealth(job.healthUrl)) ? job.healthUrl : undefined;
  await new Promise<void>((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', () => resolve());
  });
  ready();
  const servicePort = new HealthChecks(url.origin);
  const healthPort = healthUrl ? new HealthChecks(healthUrl) : undefined;
  const connect: number[] = [];
  let connectFailures = 0;
  const pending: Promise<void>[] = [];
  const end = Date.now() + job.duration * 1000;
  const connectOnce = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const socket = net.connect({ host: url.hostname, port: Number(url.port) });
      socket.setTimeout(10_000);
      socket.once('connect', () => {
        connect.push(performance.now() - started);
        socket.destroy();
        resolve();
      });
      const fail = () => {
        connectFailures += 1;
        connect.push(performance.now() - started);
        socket.destroy();
        resolve();
      };
      socket.once('timeout', fail);
      socket.once('error', fail);
    });
  let tick = 0;
  while (Date.now() < end) {
    pending.push(servicePort.once());
    if (healthPort) pending.push(healthPort.once());
    if (tick % 2 === 0) pending.push(connectOnce());
    tick += 1;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await Promise.all(pending);
  return {
    healthz: servicePort.summary(),
    healthPort: healthPort?.summary() ?? null,
    connect: { ...summarize(connect), failures: connectFailures },
  };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]) as LoadJob | ProbeJob;
  const result =
    job.mode === 'probe'
      ? await runProbe(job, () => process.stdout.write(`${PROBE_READY}\n`))
      : await runLoad(job);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
