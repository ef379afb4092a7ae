import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { problemOf, sameAnswer } from './checks';
import { ADMIN_USERNAME, BENCH_PASSWORD, REPORTER_TICKETS, REPORTER_USERNAME, datasetOf } from './dataset';
import {
  type Goal,
  type RunFigures,
  type ScenarioFigures,
  describeGoal,
  formatNumber,
  formatTable,
  medianOfRuns,
  pairedRatio,
  verdictOf,
} from './figures';
import { type LoadJob, type LoadResult, PROBE_READY, type ProbeJob, type ProbeResult } from './load';
import {
  type Running,
  type Target,
  cpuMs,
  rssMb,
  rssSampler,
  runInLoadProcess,
  startBare,
  startService,
} from './processes';
import {
  COUNT_QUERY,
  GROUPS,
  type Group,
  PAGE_QUERY,
  type Request,
  type Scenario,
  graphqlBody,
  scenariosOf,
} from './scenarios';
import { OWN_SERVER, seedPostgres, seedSqlite } from './seed';

/**
 * `npm run bench` (issue 11): seeds a database, starts the service under test in a process of its own,
 * loads it with autocannon from another process, measures bare baselines on the same database in the
 * same run (interleaved, medians of the runs; the ratio is the median of each run's ratio to the baseline
 * run right after it), checks every answer, prints a table and writes
 * bench/results.json. Exits with 1 when an answer is wrong, never because a goal is missed.
 */
export interface BenchOptions {
  tickets: number;
  db: 'sqlite' | 'postgres';
  databaseUrl?: string;
  duration: number;
  runs: number;
  server: string;
  only: Set<Group> | null;
  out: string;
  keep: boolean;
}

const USAGE = `usage: npm run bench -- [options]
  --tickets N          tickets in the seeded data set (default 100000; 20 projects, 1,000 users, ~10 jobs each)
  --db sqlite|postgres database (default sqlite, in a new folder under ${os.tmpdir()})
  --database-url URL   postgres:// URL of an EMPTY database the bench may fill (required with --db postgres)
  --duration S         seconds per run (default 5)
  --runs N             runs per scenario, interleaved with the baseline's (default 3)
  --server PATH        the build to measure: a main.js (default: this tree's server/dist/main.js)
  --only a,b           scenarios: ${GROUPS.join(', ')}
  --out FILE           JSON results (default bench/results.json)
  --keep               keep the seeded data folder`;

export function parseOptions(args: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    tickets: 100_000,
    db: 'sqlite',
    duration: 5,
    runs: 3,
    server: OWN_SERVER,
    only: null,
    out: path.resolve(__dirname, '..', '..', '..', 'bench', 'results.json'),
    keep: false,
  };
  for (let i = 0; i < args.length; i += 1) {
    const name = args[i];
    const value = () => {
      const next = args[(i += 1)];
      if (next === undefined) throw new UsageError(`${name} needs a value`);
      return next;
    };
    const positive = (text: string) => {
      const number = Number(text);
      if (!Number.isFinite(number) || number <= 0) throw new UsageError(`${name} takes a positive number`);
      return number;
    };
    switch (name) {
      case '--tickets':
        options.tickets = Math.round(positive(value()));
        break;
      case '--db': {
        const db = value();
        if (db !== 'sqlite' && db !== 'postgres') throw new UsageError('--db is sqlite or postgres');
        options.db = db;
        break;
      }
      case '--database-url':
        options.databaseUrl = value();
        options.db = 'postgres';
        break;
      case '--duration':
        options.duration = positive(value());
        break;
      case '--runs':
        options.runs = Math.round(positive(value()));
        break;
      case '--server':
        options.server = path.resolve(value());
        break;
      case '--only': {
        const groups = value().split(',');
        const unknown = groups.filter((group) => !GROUPS.includes(group as Group));
        if (unknown.length > 0) throw new UsageError(`--only: unknown ${unknown.join(', ')}`);
        options.only = new Set(groups as Group[]);
        break;
      }
      case '--out':
        options.out = path.resolve(value());
        break;
      case '--keep':
        options.keep = true;
        break;
      default:
        throw new UsageError(`unknown option ${name}`);
    }
  }
  if (options.db === 'postgres' && !options.databaseUrl) {
    throw new UsageError(
      '--db postgres needs --database-url postgres://… naming an empty database the bench may fill ' +
        '(the bench starts no PostgreSQL of its own)',
    );
  }
  if (!fs.existsSync(options.server)) throw new UsageError(`--server: ${options.server} does not exist`);
  return options;
}

class UsageError extends Error {}

interface GraphqlAnswer {
  data?: Record<string, any>;
  errors?: unknown;
}

/** One request; a refusal (503, the service shedding load) is tried again after its Retry-After, 10 times. */
async function post(url: string, body: string, token?: string): Promise<{ status: number; text: string }> {
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
    const text = await response.text();
    if (response.status !== 503 || attempt === 10) return { status: response.status, text };
    const seconds = Number(response.headers.get('retry-after') ?? 1);
    await new Promise((resolve) => setTimeout(resolve, Math.min(5, Math.max(0.1, seconds || 1)) * 1000));
  }
}

async function graphql(url: string, query: string, variables?: object, token?: string): Promise<any> {
  const { status, text } = await post(`${url}/graphql`, graphqlBody(query, variables), token);
  const answer = JSON.parse(text) as GraphqlAnswer;
  if (status !== 200 || answer.errors || !answer.data) {
    throw new Error(`${query.slice(0, 60)}…: ${status} ${text.slice(0, 300)}`);
  }
  return answer.data;
}

async function login(url: string, username: string): Promise<string> {
  const data = await graphql(url, 'mutation ($input: LoginInput!) { login(input: $input) { token } }', {
    input: { login: username, password: BENCH_PASSWORD },
  });
  return data.login.token as string;
}

interface ScenarioResult {
  name: string;
  group: Group;
  description: string;
  connections: number;
  runs: (RunFigures & { statuses: Record<string, number>; checked: number })[];
  figures: ScenarioFigures;
  baseline?: { name: string; runs: RunFigures[]; figures: ScenarioFigures };
  ratio: number | null;
  goals: { goal: string; value: number | null; verdict: string }[];
  notes: string[];
}

export async function bench(options: BenchOptions): Promise<number> {
  const failures: string[] = [];
  const fail = (message: string) => {
    failures.push(message);
    console.error(`ANSWER CHECK FAILED: ${message}`);
  };
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-bench-'));
  const target: Target = { dataDir: path.join(workDir, 'data'), databaseUrl: options.databaseUrl };
  const started = new Date();
  const running: Running[] = [];
  try {
    if (options.databaseUrl) await requireEmptyDatabase(options.databaseUrl);
    console.log(
      `bench: ${options.tickets.toLocaleString('en')} tickets on ${options.db}, server ${options.server}, ` +
        `${options.runs} runs of ${options.duration} s, Node.js ${process.version}, ${os.cpus().length} CPUs`,
    );
    const seedStarted = performance.now();
    const seeded = options.databaseUrl
      ? await seedPostgres(
          { dataDir: target.dataDir, databaseUrl: options.databaseUrl },
          options,
          options.server,
        )
      : await seedSqlite(target.dataDir, options, options.server);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    console.log(
      `seeded ${seeded.tickets.toLocaleString('en')} tickets, ${seeded.jobs.toLocaleString('en')} jobs in ` +
        `${seedSeconds.toFixed(1)} s (the service made its schema, then ${seeded.seconds.toFixed(1)} s of bulk writes)`,
    );

    const selected = (group: Group) => !options.only || options.only.has(group);
    const sql = selected('sql') ? await sqlPerPage(options.server, target) : null;

    const service = await startService(options.server, target);
    running.push(service);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const idleRssMb = rssMb(service.pid);
    const wholeRun = rssSampler(service.pid);
    const bare = await startBare(target);
    running.push(bare);

    const adminToken = await login(service.url, ADMIN_USERNAME);
    const reporterToken = await login(service.url, REPORTER_USERNAME);
    const dataset = datasetOf(options);
    const writers = dataset.users.filter(
      (user) => user.role === 'USER' && user.username !== REPORTER_USERNAME,
    );
    const writerTokens: string[] = [];
    if (selected('create')) {
      for (const writer of writers.slice(0, 10)) writerTokens.push(await login(service.url, writer.username));
    }
    const projects = (await graphql(service.url, '{ projects { id name } }', undefined, adminToken))
      .projects as { id: string; name: string }[];
    const largest = projects.find((project) => project.name === dataset.projects[0]) ?? projects[0];
    const reporterTickets = Math.min(REPORTER_TICKETS, options.tickets);

    const scenarios = scenariosOf({
      tickets: options.tickets,
      adminToken,
      reporterToken,
      writerTokens,
      fullHistoryTicketId: seeded.fullHistoryTicketId,
      projectId: largest.id,
      words: seeded.words,
      reporterTickets,
    }).filter((scenario) => selected(scenario.group));

    const results: ScenarioResult[] = [];
    // The writes come last: the tickets they create (one job each) would become the newest page, and
    // the overload would measure a page several times cheaper than the one it names.
    const reads = scenarios.filter((scenario) => scenario.group !== 'create');
    for (const scenario of reads) {
      console.log(`… ${scenario.name}: ${scenario.description}`);
      results.push(await measure(scenario, service, bare, options, fail));
    }
    const overload = selected('overload') ? await measureOverload(service, adminToken, options, fail) : null;
    for (const scenario of scenarios.filter((candidate) => !reads.includes(candidate))) {
      console.log(`… ${scenario.name}: ${scenario.description}`);
      results.push(await measure(scenario, service, bare, options, fail));
    }
    const peakRssMb = wholeRun.stop();

    const report = {
      started: started.toISOString(),
      options: { ...options, only: options.only ? [...options.only] : null },
      machine: { cpus: os.cpus().length, loadAverage: os.loadavg(), node: process.version },
      server: { main: options.server, commit: commitOf(options.server) },
      seed: { ...seeded, adminToken: undefined, seconds: seedSeconds, bulkSeconds: seeded.seconds },
      sqlStatementsPerPage: sql,
      memory: {
        idleRssMb,
        peakRssMb,
        goal: 'peak < 300 MB',
        verdict: verdictOf({ figure: 'rssPeakMb', kind: 'under', bound: 300 }, peakRssMb),
      },
      scenarios: results,
      overload,
      failures,
    };
    fs.mkdirSync(path.dirname(options.out), { recursive: true });
    fs.writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\n${printed(report)}\n\nJSON: ${options.out}`);
    if (failures.length > 0) {
      const where = [...new Set(failures.map((failure) => failure.slice(0, failure.indexOf(':'))))];
      console.error(
        `\n${failures.length} answer check(s) failed (${where.join(', ')}): those figures are not to be trusted.`,
      );
      return 1;
    }
    return 0;
  } finally {
    for (const process of running.reverse()) await process.stop();
    if (!options.keep) fs.rmSync(workDir, { recursive: true, force: true });
    else console.log(`data kept in ${target.dataDir}`);
  }
}

async function requireEmptyDatabase(databaseUrl: string): Promise<void> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT count(*)::int AS count FROM information_schema.tables WHERE table_schema = 'public'`,
    );
    if (rows[0].count > 0) {
      throw new UsageError(
        `${databaseUrl.replace(/:[^:@/]*@/, ':…@')} is not empty: give the bench an empty database`,
      );
    }
  } finally {
    await client.end();
  }
}

function commitOf(main: string): string | null {
  try {
    return execFileSync('git', ['-C', path.dirname(main), 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return null;
  }
}

/** The SQL statements of one tickets page, as the service logs them (`sql` of its `graphql` line). */
async function sqlPerPage(main: string, target: Target): Promise<Record<string, number | null>> {
  const seen: { sql: number | null } = { sql: null };
  const service = await startService(main, target, {
    // debug: a production server may count SQL statements only where someone looks (Node.js < 24).
    logLevel: 'debug',
    onLine(line) {
      try {
        const entry = JSON.parse(line) as { msg?: string; sql?: unknown };
        if (entry.msg === 'graphql' && typeof entry.sql === 'number') seen.sql = entry.sql;
      } catch {
        // not a log line of JSON
      }
    },
  });
  try {
    const token = await login(service.url, ADMIN_USERNAME);
    const counts: Record<string, number | null> = {};
    for (const first of [10, 50, 100]) {
      seen.sql = null;
      await graphql(service.url, PAGE_QUERY, { first }, token);
      await new Promise((resolve) => setTimeout(resolve, 100));
      counts[`first ${first}`] = seen.sql;
    }
    console.log(
      `SQL statements per tickets page (10, 50, 100 tickets): ${Object.values(counts)
        .map((count) => count ?? 'n/a')
        .join(', ')}`,
    );
    return counts;
  } finally {
    await service.stop();
  }
}

async function loadOnce(
  process: Running,
  request: Request,
  connections: number,
  options: BenchOptions,
  expectation: Scenario['expectation'],
): Promise<{ figures: RunFigures; result: LoadResult }> {
  const job: LoadJob = {
    mode: 'load',
    url: process.url,
    path: request.path,
    body: request.body,
    headers: request.token ? { authorization: `Bearer ${request.token}` } : {},
    tokens: request.tokens,
    connections,
    duration: options.duration,
    expectation,
  };
  const sampler = rssSampler(process.pid);
  const cpuBefore = cpuMs(process.pid);
  const result = await runInLoadProcess<LoadResult>(job);
  const cpuAfter = cpuMs(process.pid);
  const peak = sampler.stop();
  const accepted = result.statuses['200'] ?? 0;
  return {
    result,
    figures: {
      requests: accepted,
      seconds: result.seconds,
      rps: result.rps,
      latency: result.acceptedLatency,
      cpuMsPerRequest:
        cpuBefore !== null && cpuAfter !== null && accepted > 0 ? (cpuAfter - cpuBefore) / accepted : null,
      rssPeakMb: peak,
    },
  };
}

/**
 * Every answer is a 200 that passed its checks, or a refusal (503, load shedding) with Retry-After:
 * refusals are not answers to measure (throughput and latency count the 200s alone) but are reported.
 */
function checkLoad(name: string, result: LoadResult, fail: (message: string) => void): void {
  const others = Object.entries(result.statuses).filter(([status]) => status !== '200' && status !== '503');
  if (!result.statuses['200']) fail(`${name}: no answer 200 at all`);
  if (result.refusedWithoutRetryAfter > 0) {
    fail(`${name}: ${result.refusedWithoutRetryAfter} answers 503 without Retry-After`);
  }
  if (result.statuses['503']) {
    console.log(
      `    (${result.statuses['503']} of ${result.requests} requests refused with 503: not measured)`,
    );
  }
  if (others.length > 0)
    fail(`${name}: answers other than 200: ${JSON.stringify(Object.fromEntries(others))}`);
  for (const problem of result.problems) fail(`${name}: ${problem}`);
  if (result.checked === 0 && result.requests > 0) fail(`${name}: no answer was checked`);
}

async function measure(
  scenario: Scenario,
  service: Running,
  bare: Running,
  options: BenchOptions,
  fail: (message: string) => void,
): Promise<ScenarioResult> {
  const runs: ScenarioResult['runs'] = [];
  const baselineRuns: RunFigures[] = [];
  const notes: string[] = [];
  const isCreate = scenario.group === 'create';
  const token = scenario.request.token ?? scenario.request.tokens?.[0];
  for (let run = 1; run <= options.runs; run += 1) {
    // The answer, checked before the load: the service's and, where there is one, the bare baseline's.
    const answer = await post(`${service.url}${scenario.request.path}`, scenario.request.body, token);
    const problem =
      answer.status === 200 ? problemOf(scenario.expectation, answer.text) : `status ${answer.status}`;
    if (problem) fail(`${scenario.name}: ${problem}`);
    if (scenario.baseline) {
      const bareAnswer = await post(
        `${bare.url}${scenario.baseline.request.path}`,
        scenario.baseline.request.body,
      );
      const bareProblem =
        bareAnswer.status === 200
          ? problemOf(scenario.baseline.expectation, bareAnswer.text)
          : `status ${bareAnswer.status} ${bareAnswer.text.slice(0, 200)}`;
      if (bareProblem) fail(`${scenario.baseline.name}: ${bareProblem}`);
      else if (scenario.baseline.sameAnswer && !problem) {
        if (!sameAnswer(JSON.parse(answer.text), JSON.parse(bareAnswer.text))) {
          fail(`${scenario.baseline.name}: its answer differs from the service's (run ${run})`);
          fs.writeFileSync(
            path.join(os.tmpdir(), `bench-differs-${scenario.name}-service.json`),
            answer.text,
          );
          fs.writeFileSync(
            path.join(os.tmpdir(), `bench-differs-${scenario.name}-bare.json`),
            bareAnswer.text,
          );
        }
      }
    }
    const countBefore = isCreate ? await ticketCount(service.url) : 0;
    const { figures, result } = await loadOnce(
      service,
      scenario.request,
      scenario.connections,
      options,
      scenario.expectation,
    );
    checkLoad(scenario.name, result, fail);
    if (isCreate) {
      // Every 200 was written; a request autocannon sent as the run ended may be written unanswered.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const written = (await ticketCount(service.url)) - countBefore;
      const ok = result.statuses['200'] ?? 0;
      if (written < ok || written > ok + scenario.connections) {
        fail(`createTicket: ${ok} answers 200 but ${written} tickets written (run ${run})`);
      }
      notes.push(`run ${run}: ${ok} answered 200, ${written} tickets written`);
    }
    runs.push({ ...figures, statuses: result.statuses, checked: result.checked });
    console.log(
      `    run ${run}: ${formatNumber(figures.rps)} req/s, p50 ${formatNumber(figures.latency.p50)} ms, ` +
        `p99 ${formatNumber(figures.latency.p99)} ms, ${formatNumber(figures.cpuMsPerRequest)} ms CPU/req`,
    );
    if (scenario.baseline) {
      const { figures: bareFigures, result: bareResult } = await loadOnce(
        bare,
        scenario.baseline.request,
        scenario.connections,
        options,
        scenario.baseline.expectation,
      );
      checkLoad(scenario.baseline.name, bareResult, fail);
      baselineRuns.push(bareFigures);
      console.log(
        `    ${scenario.baseline.name}: ${formatNumber(bareFigures.rps)} req/s, p50 ${formatNumber(bareFigures.latency.p50)} ms`,
      );
    }
  }
  const figures = medianOfRuns(runs);
  const baselineFigures = scenario.baseline ? medianOfRuns(baselineRuns) : undefined;
  const scenarioRatio = baselineFigures
    ? pairedRatio(
        runs.map((one) => one.rps),
        baselineRuns.map((one) => one.rps),
      )
    : null;
  const valueOf = (goal: Goal) => (goal.figure === 'ratio' ? scenarioRatio : figures[goal.figure]);
  return {
    name: scenario.name,
    group: scenario.group,
    description: scenario.description,
    connections: scenario.connections,
    runs,
    figures,
    ...(scenario.baseline && baselineFigures
      ? { baseline: { name: scenario.baseline.name, runs: baselineRuns, figures: baselineFigures } }
      : {}),
    ratio: scenarioRatio,
    goals: scenario.goals.map((goal) => ({
      goal: describeGoal(goal),
      value: valueOf(goal),
      verdict: verdictOf(goal, valueOf(goal)),
    })),
    notes,
  };
}

async function ticketCount(url: string): Promise<number> {
  const { tickets } = await graphql(url, COUNT_QUERY, undefined, await adminTokenOf(url));
  return tickets.totalCount as number;
}

const tokens = new Map<string, string>();
async function adminTokenOf(url: string): Promise<string> {
  let token = tokens.get(url);
  if (!token) {
    token = await login(url, ADMIN_USERNAME);
    tokens.set(url, token);
  }
  return token;
}

const OVERLOAD_CONNECTIONS = 500;

interface OverloadResult {
  connections: number;
  seconds: number;
  statuses: Record<string, number>;
  refused: number;
  refusedWithoutRetryAfter: number;
  acceptedRps: number;
  accepted: LoadResult['acceptedLatency'];
  all: LoadResult['latency'];
  socketErrors: number;
  timeouts: number;
  healthz: ProbeResult['healthz'];
  healthPort: ProbeResult['healthPort'];
  connect: ProbeResult['connect'];
  rssPeakMb: number | null;
  goals: { goal: string; value: number | null; verdict: string }[];
}

/**
 * 500 connections on the heavy page for at least 10 s while a probe process times /healthz (every
 * 50 ms) and the accept of a new TCP connection (every 100 ms).
 */
async function measureOverload(
  service: Running,
  adminToken: string,
  options: BenchOptions,
  fail: (message: string) => void,
): Promise<OverloadResult> {
  const seconds = Math.max(10, options.duration);
  console.log(
    `… overload: ${OVERLOAD_CONNECTIONS} connections on tickets(first: 50) for ${seconds} s, with a probe`,
  );
  const job: LoadJob = {
    mode: 'load',
    url: service.url,
    path: '/graphql',
    body: graphqlBody(PAGE_QUERY, { first: 50 }),
    headers: { authorization: `Bearer ${adminToken}` },
    connections: OVERLOAD_CONNECTIONS,
    duration: seconds,
    expectation: { kind: 'page', nodes: Math.min(50, options.tickets) },
  };
  const probe: ProbeJob = {
    mode: 'probe',
    url: service.url,
    healthUrl: service.healthUrl,
    duration: seconds,
  };
  const sampler = rssSampler(service.pid);
  // The probe first, warmed up and timing, so that it sees the load's opening burst.
  let probeReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => (probeReady = resolve));
  const probing = runInLoadProcess<ProbeResult>(probe, (stdout) => {
    if (stdout.includes(PROBE_READY)) probeReady();
  });
  await Promise.race([ready, probing]);
  const [result, probed] = await Promise.all([runInLoadProcess<LoadResult>(job), probing]);
  const rssPeakMb = sampler.stop();
  const others = Object.entries(result.statuses).filter(([status]) => status !== '200' && status !== '503');
  if (others.length > 0)
    fail(`overload: answers other than 200 and 503: ${JSON.stringify(Object.fromEntries(others))}`);
  for (const problem of result.problems) fail(`overload: ${problem}`);
  const refused = result.statuses['503'] ?? 0;
  const goals: OverloadResult['goals'] = [
    {
      goal: 'beyond capacity: 503s, each with Retry-After',
      value: refused,
      verdict: refused > 0 && result.refusedWithoutRetryAfter === 0 ? 'MET' : 'NOT MET',
    },
    {
      goal: 'accepted p99 < 1000 ms (refused, not queued)',
      value: result.acceptedLatency.p99,
      verdict: verdictOf({ figure: 'p99', kind: 'under', bound: 1000 }, result.acceptedLatency.p99),
    },
    // The goal is for the health check a supervisor makes: on HEALTH_PORT (a thread of its own) when the
    // service has one, the service's port otherwise; the other figure is printed beside it.
    healthGoal(probed.healthPort ?? probed.healthz, probed.healthPort ? 'HEALTH_PORT' : 'the service port'),
    {
      goal: 'new connection accepted < 1000 ms',
      value: probed.connect.max,
      verdict:
        probed.connect.failures > 0
          ? 'NOT MET'
          : verdictOf({ figure: 'p99', kind: 'under', bound: 1000 }, probed.connect.max),
    },
    {
      goal: 'RSS < 300 MB',
      value: rssPeakMb,
      verdict: verdictOf({ figure: 'rssPeakMb', kind: 'under', bound: 300 }, rssPeakMb),
    },
  ];
  return {
    connections: OVERLOAD_CONNECTIONS,
    seconds: result.seconds,
    statuses: result.statuses,
    refused,
    refusedWithoutRetryAfter: result.refusedWithoutRetryAfter,
    acceptedRps: (result.statuses['200'] ?? 0) / result.seconds,
    accepted: result.acceptedLatency,
    all: result.latency,
    socketErrors: result.socketErrors,
    timeouts: result.timeouts,
    healthz: probed.healthz,
    healthPort: probed.healthPort,
    connect: probed.connect,
    rssPeakMb,
    goals,
  };
}

function healthGoal(checks: ProbeResult['healthz'], where: string): OverloadResult['goals'][number] {
  return {
    goal: `/healthz on ${where} max < 100 ms`,
    value: checks.max,
    verdict:
      checks.failures > 0 ? 'NOT MET' : verdictOf({ figure: 'p99', kind: 'under', bound: 100 }, checks.max),
  };
}

interface Report {
  seed: { tickets: number; jobs: number; seconds: number };
  options: { db: string; server: string };
  server: { commit: string | null };
  sqlStatementsPerPage: Record<string, number | null> | null;
  memory: { idleRssMb: number | null; peakRssMb: number | null; verdict: string };
  scenarios: ScenarioResult[];
  overload: OverloadResult | null;
}

/** The tables the bench prints (and the notes quote). */
export function printed(report: Report): string {
  const n = formatNumber;
  const lines: string[] = [
    `${report.seed.tickets.toLocaleString('en')} tickets, ${report.seed.jobs.toLocaleString('en')} jobs on ${report.options.db}; ` +
      `server ${report.options.server}${report.server.commit ? ` (${report.server.commit})` : ''}; seeded in ${report.seed.seconds.toFixed(1)} s`,
    '',
  ];
  const rows = report.scenarios.map((scenario) => {
    const f = scenario.figures;
    return [
      scenario.name,
      String(scenario.connections),
      n(f.rps),
      n(f.p50),
      n(f.p95),
      n(f.p99),
      n(f.cpuMsPerRequest),
      n(f.rssPeakMb),
      String(scenario.runs.reduce((sum, run) => sum + (run.statuses['503'] ?? 0), 0)),
      scenario.baseline ? n(scenario.baseline.figures.rps) : '',
      scenario.ratio === null ? '' : n(scenario.ratio),
      scenario.goals.map((goal) => goal.goal).join('; '),
      scenario.goals.map((goal) => goal.verdict).join('; '),
    ];
  });
  lines.push(
    formatTable(
      [
        'scenario',
        'conn',
        'req/s',
        'p50 ms',
        'p95 ms',
        'p99 ms',
        'CPU ms/req',
        'RSS MB',
        '503s',
        'base req/s',
        'ratio',
        'goal',
        'verdict',
      ],
      rows,
    ),
    'ratio: the median of each run’s req/s over the baseline run made right after it (not req/s ÷ base req/s)',
  );
  if (report.overload) {
    const o = report.overload;
    lines.push(
      '',
      `overload (${o.connections} connections, ${o.seconds} s): ${JSON.stringify(o.statuses)}; ${o.refused} refused (503), ` +
        `${o.refusedWithoutRetryAfter} without Retry-After; accepted ${n(o.acceptedRps)} req/s, p50 ${n(o.accepted.p50)} ms, ` +
        `p99 ${n(o.accepted.p99)} ms; socket errors ${o.socketErrors}, timeouts ${o.timeouts}`,
      `  /healthz on the service port p50 ${n(o.healthz.p50)} ms, max ${n(o.healthz.max)} ms (${o.healthz.failures} failed); ` +
        (o.healthPort
          ? `on HEALTH_PORT p50 ${n(o.healthPort.p50)} ms, max ${n(o.healthPort.max)} ms (${o.healthPort.failures} failed); `
          : 'no HEALTH_PORT; ') +
        `new connection p50 ${n(o.connect.p50)} ms, max ${n(o.connect.max)} ms (${o.connect.failures} failed); RSS peak ${n(o.rssPeakMb)} MB`,
      ...o.goals.map((goal) => `  ${goal.goal}: ${n(goal.value)} ${goal.verdict}`),
    );
  }
  lines.push(
    '',
    `memory: idle ${n(report.memory.idleRssMb)} MB, peak ${n(report.memory.peakRssMb)} MB (goal < 300 MB: ${report.memory.verdict})`,
  );
  if (report.sqlStatementsPerPage) {
    lines.push(`SQL statements per tickets page: ${JSON.stringify(report.sqlStatementsPerPage)}`);
  }
  return lines.join('\n');
}

export async function main(args: readonly string[]): Promise<void> {
  if (args.includes('--help')) {
    console.log(USAGE);
    return;
  }
  let options: BenchOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw error;
  }
  try {
    process.exitCode = await bench(options);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
