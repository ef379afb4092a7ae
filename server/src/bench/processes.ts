import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The bench's child processes: the server under test, the bare baselines, the load, and their samples. */

export const JWT_SECRET = process.env.JWT_SECRET ?? 'bench-jwt-secret-0123456789abcdef';

export interface Target {
  dataDir: string;
  /** PostgreSQL; SQLite in dataDir when absent. */
  databaseUrl?: string;
}

export interface Running {
  url: string;
  /** The service's HEALTH_PORT listener (a build without one ignores the setting). */
  healthUrl?: string;
  pid: number;
  child: ChildProcess;
  /** What the process wrote, for a failure's message. */
  output(): string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function environmentOf(
  target: Target,
  port: number,
  healthPort: number,
  logLevel: string,
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: target.dataDir,
    PORT: String(port),
    HEALTH_PORT: String(healthPort),
    HOST: '127.0.0.1',
    NODE_ENV: 'production',
    LOG_LEVEL: logLevel,
    CLIENT_DIR: path.join(target.dataDir, 'no-client'),
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl, JWT_SECRET } : {}),
    // The load-shedding settings reach the service under test, to measure it with others than the defaults.
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => LOAD_SETTINGS.has(name))),
  };
}

const LOAD_SETTINGS = new Set([
  'MAX_CONCURRENT_REQUESTS',
  'MAX_QUEUED_REQUESTS',
  'MAX_QUEUE_WAIT_MS',
  'MAX_EVENT_LOOP_DELAY_MS',
]);

/** `node <main>` on the target, once /healthz answers 200; `onLine` sees each line it logs. */
export async function startService(
  main: string,
  target: Target,
  options: { logLevel?: string; onLine?: (line: string) => void } = {},
): Promise<Running> {
  const port = await freePort();
  let healthPort = await freePort();
  while (healthPort === port) healthPort = await freePort();
  const child = spawn(process.execPath, [main], {
    env: environmentOf(target, port, healthPort, options.logLevel ?? 'warn'),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service = await running(child, `http://127.0.0.1:${port}`, options.onLine, '/healthz');
  return { ...service, healthUrl: `http://127.0.0.1:${healthPort}` };
}

/** The bare baselines (bare-server.js beside this file) on the same database. */
export async function startBare(target: Target): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(__dirname, 'bare-server.js')], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      NODE_ENV: 'production',
      ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : { DATA_DIR: target.dataDir }),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return running(child, `http://127.0.0.1:${port}`, undefined, null);
}

async function running(
  child: ChildProcess,
  url: string,
  onLine: ((line: string) => void) | undefined,
  healthPath: string | null,
): Promise<Running> {
  let output = '';
  let pendingLine = '';
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exit.then(() => (exited = true));
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    if (output.length < 20_000) output += text;
    if (onLine) {
      const lines = (pendingLine + text).split('\n');
      pendingLine = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    if (output.length < 20_000) output += chunk.toString();
  });
  const stop = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exit;
    clearTimeout(killer);
  };
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (exited) throw new Error(`${url}: the process ended before it answered:\n${output}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`${url}: no answer within 120 s:\n${output}`);
    }
    if (healthPath === null ? /listening \d+/.test(output) : await answers(`${url}${healthPath}`)) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, pid: child.pid!, child, output: () => output, stop };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

const TICKS_PER_SECOND = 100;

/** CPU time (user + system) of a process so far, in ms, from /proc/<pid>/stat; null off Linux. */
export function cpuMs(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) in parentheses: utime is the 14th field.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** Resident memory of a process, in MB, from /proc/<pid>/status; null off Linux. */
export function rssMb(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples a process's RSS every 50 ms until stopped: the peak seen. */
export function rssSampler(pid: number): { peak(): number | null; stop(): number | null } {
  let peak: number | null = rssMb(pid);
  const timer = setInterval(() => {
    const now = rssMb(pid);
    if (now !== null && (peak === null || now > peak)) peak = now;
  }, 50);
  return {
    peak: () => peak,
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Runs load.js (beside this file) in a child process with a job; its one line of JSON. */
export function runInLoadProcess<T>(job: object, onOutput: (stdout: string) => void = () => {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'load.js'), JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      onOutput(stdout);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the load process ended with ${code}: ${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop()!) as T);
      } catch {
        reject(new Error(`the load process printed no result: ${stdout} ${stderr}`));
      }
    });
  });
}
