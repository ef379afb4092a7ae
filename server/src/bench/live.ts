import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { percentile } from './figures';
import { JWT_SECRET, freePort, rssMb } from './processes';

/**
 * Live updates, measured on the built service in a process of its own (issue 13):
 * - latency: from the moment a mutation is sent (HTTP) to its event arriving at a subscriber over the
 *   WebSocket, p50/p99 over `events` comments sent one after the other;
 * - memory: the service's resident memory before and after `idle` subscribers connect (each with one
 *   subscription that nothing matches), divided by their number;
 * - latency again with those idle subscribers connected (the feed filters every event for each of them).
 *
 * `node server/dist/bench/live.js [--events 1000] [--idle 1000] [--db postgres --database-url URL]`
 * (the URL names an EMPTY database the bench may fill).
 */
export interface LiveBenchOptions {
  events: number;
  idle: number;
  /** postgres:// of an EMPTY database; SQLite in a new folder when absent. */
  databaseUrl?: string;
  /** The built service's entry; default: main.js of this build (server/dist). */
  serverEntry?: string;
}

export interface LatencyFigures {
  events: number;
  /** Mutation sent → its event received by the subscriber. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Mutation sent → its HTTP answer received: the part of the above that is the mutation itself. */
  answerP50Ms: number;
  answerP99Ms: number;
}

export interface LiveFigures {
  database: 'sqlite' | 'postgres';
  latency: LatencyFigures;
  idle: {
    connections: number;
    rssBeforeMb: number;
    rssAfterMb: number;
    perConnectionKb: number;
    openSeconds: number;
  };
  latencyWithIdle: LatencyFigures;
}

const PASSWORD = 'bench live password 2026';
/** The service's per-user cap (LIVE_LIMITS.connectionsPerUser): idle sockets are spread over users. */
const SOCKETS_PER_USER = 10;

async function post(url: string, query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: any; errors?: { message: string }[] };
  if (body.errors) throw new Error(`${query.slice(0, 60)}…: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data;
}

async function register(url: string, username: string): Promise<string> {
  const data = await post(url, 'mutation ($input: RegisterInput!) { register(input: $input) { token } }', {
    input: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  return data.register.token as string;
}

function connect(url: string, token: string): Promise<Client> {
  return new Promise((resolve, reject) => {
    const client = createClient({
      url: `${url.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
      on: {
        connected: () => resolve(client),
        closed: (event) => reject(new Error(`closed: ${(event as { code: number }).code}`)),
      },
      onNonLazyError: reject,
    });
  });
}

async function startService(
  serverEntry: string,
  databaseUrl: string | undefined,
): Promise<{
  url: string;
  child: ChildProcess;
  dataDir: string;
}> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-live-bench-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [serverEntry], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      CLIENT_DIR: path.join(dataDir, 'no-client'),
      REGISTRATIONS_PER_HOUR: '100000',
      ...(databaseUrl ? { DATABASE_URL: databaseUrl, JWT_SECRET } : {}),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the service exited: ${stderr}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`the service did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, child, dataDir };
}

/** Comments sent one after the other; each one's time from sending to its arrival at the subscriber. */
async function measureLatency(
  url: string,
  token: string,
  ticketId: string,
  events: number,
  subscriber: Client,
): Promise<LatencyFigures> {
  const arrivals = new Map<string, (at: number) => void>();
  const stop = subscriber.subscribe<{ ticketUpdated: { comment: string } }>(
    {
      query: 'subscription ($id: ID!) { ticketUpdated(id: $id) { id comment } }',
      variables: { id: ticketId },
    },
    {
      next: (result) => {
        const comment = result.data?.ticketUpdated.comment;
        if (comment) arrivals.get(comment)?.(performance.now());
      },
      error: (error) => {
        throw new Error(`the subscription failed: ${JSON.stringify(error)}`);
      },
      complete: () => undefined,
    },
  );
  const send = (comment: string) =>
    post(
      url,
      'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
      { id: ticketId, input: { comment } },
      token,
    );
  // The subscription is registered a moment after it is sent: warm up until an event arrives.
  for (let attempt = 0; ; attempt += 1) {
    const comment = `warm-up ${attempt}`;
    const arrived = new Promise<boolean>((resolve) => {
      arrivals.set(comment, () => resolve(true));
      setTimeout(() => resolve(false), 1000);
    });
    await send(comment);
    if (await arrived) break;
    if (attempt > 10) throw new Error('no event arrived');
  }
  const samples: number[] = [];
  const answers: number[] = [];
  for (let i = 0; i < events; i += 1) {
    const comment = `event ${i} ${Date.now()}`;
    const sentAt = performance.now();
    const arrived = new Promise<number>((resolve) => arrivals.set(comment, resolve));
    await send(comment);
    answers.push(performance.now() - sentAt);
    samples.push((await arrived) - sentAt);
    arrivals.delete(comment);
  }
  stop();
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    events,
    p50Ms: round(percentile(samples, 50)!),
    p99Ms: round(percentile(samples, 99)!),
    maxMs: round(Math.max(...samples)),
    answerP50Ms: round(percentile(answers, 50)!),
    answerP99Ms: round(percentile(answers, 99)!),
  };
}

export async function measureLive(options: LiveBenchOptions): Promise<LiveFigures> {
  const service = await startService(
    options.serverEntry ?? path.join(__dirname, '..', 'main.js'),
    options.databaseUrl,
  );
  const clients: Client[] = [];
  try {
    const { url } = service;
    const admin = await register(url, 'bench-admin');
    const { createProject } = await post(
      url,
      'mutation { createProject(input: { name: "Live bench", description: "" }) { id } }',
      {},
      admin,
    );
    const { createProject: quiet } = await post(
      url,
      'mutation { createProject(input: { name: "Quiet", description: "" }) { id } }',
      {},
      admin,
    );
    const { createTicket } = await post(
      url,
      'mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }',
      { input: { projectId: createProject.id, title: 'Live bench ticket', description: 'Measured.' } },
      admin,
    );
    const ticketId = createTicket.id as string;
    const subscriber = await connect(url, admin);
    clients.push(subscriber);
    const latency = await measureLatency(url, admin, ticketId, options.events, subscriber);

    // Idle subscribers: USERs, each socket subscribed to jobAdded on a project where nothing happens.
    const users: string[] = [];
    const userCount = Math.ceil(options.idle / SOCKETS_PER_USER);
    // One at a time: a password hash each, which the service's load shedding would refuse in a burst.
    for (let i = 0; i < userCount; i += 1) users.push(await register(url, `idle${i}`));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const rssBeforeMb = rssMb(service.child.pid!) ?? Number.NaN;
    const openStarted = performance.now();
    for (let i = 0; i < options.idle; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, options.idle - i) }, (_, j) =>
          connect(url, users[Math.floor((i + j) / SOCKETS_PER_USER)]),
        ),
      );
      for (const client of batch) {
        client.subscribe(
          { query: 'subscription ($p: ID) { jobAdded(projectId: $p) { id } }', variables: { p: quiet.id } },
          { next: () => undefined, error: () => undefined, complete: () => undefined },
        );
      }
      clients.push(...batch);
    }
    const openSeconds = (performance.now() - openStarted) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const rssAfterMb = rssMb(service.child.pid!) ?? Number.NaN;
    const latencyWithIdle = await measureLatency(url, admin, ticketId, options.events, subscriber);
    return {
      database: options.databaseUrl ? 'postgres' : 'sqlite',
      latency,
      idle: {
        connections: options.idle,
        rssBeforeMb: Math.round(rssBeforeMb * 10) / 10,
        rssAfterMb: Math.round(rssAfterMb * 10) / 10,
        perConnectionKb: Math.round(((rssAfterMb - rssBeforeMb) * 1024) / options.idle),
        openSeconds: Math.round(openSeconds * 10) / 10,
      },
      latencyWithIdle,
    };
  } finally {
    for (const client of clients) await client.dispose();
    service.child.kill('SIGTERM');
    await new Promise((resolve) =>
      service.child.exitCode !== null ? resolve(null) : service.child.once('exit', resolve),
    );
    fs.rmSync(service.dataDir, { recursive: true, force: true });
  }
}

function parseArguments(argv: readonly string[]): LiveBenchOptions {
  const options: LiveBenchOptions = { events: 1000, idle: 1000 };
  for (let i = 0; i < argv.length; i += 1) {
    const value = argv[i + 1];
    switch (argv[i]) {
      case '--events':
        options.events = Number(value);
        i += 1;
        break;
      case '--idle':
        options.idle = Number(value);
        i += 1;
        break;
      case '--db':
        if (value !== 'sqlite' && value !== 'postgres') throw new Error('--db is sqlite or postgres');
        i += 1;
        break;
      case '--database-url':
        options.databaseUrl = value;
        i += 1;
        break;
      case '--server':
        options.serverEntry = path.resolve(value);
        i += 1;
        break;
      default:
        throw new Error(
          `unknown argument ${argv[i]}: --events N, --idle N, --db sqlite|postgres, --database-url URL, --server main.js`,
        );
    }
  }
  if (!(options.events > 0) || !(options.idle >= 0)) throw new Error('--events and --idle are counts');
  return options;
}

export async function main(argv: readonly string[]): Promise<void> {
  const options = parseArguments(argv);
  const figures = await measureLive(options);
  const line = (name: string, l: LatencyFigures) =>
    `${name}: p50 ${l.p50Ms} ms, p99 ${l.p99Ms} ms, max ${l.maxMs} ms over ${l.events} events (the mutation's own HTTP answer: p50 ${l.answerP50Ms} ms, p99 ${l.answerP99Ms} ms)`;
  console.log(
    `Live updates on ${figures.database} (${os.cpus().length} CPUs, Node.js ${process.versions.node})`,
  );
  console.log(line('mutation sent → event received, 1 subscriber', figures.latency));
  console.log(
    `memory: ${figures.idle.connections} idle subscribers: RSS ${figures.idle.rssBeforeMb} MB → ${figures.idle.rssAfterMb} MB, ${figures.idle.perConnectionKb} KiB per connection (opened in ${figures.idle.openSeconds} s)`,
  );
  console.log(
    line(`the same with ${figures.idle.connections} idle subscribers connected`, figures.latencyWithIdle),
  );
  console.log(JSON.stringify(figures));
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
