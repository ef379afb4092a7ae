import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type GraphQLResponse, dataOf, postGraphQL } from './graphql-client';
import { CREATE_PROJECT, CREATE_TICKET, REGISTER } from './operations';
import { testDatabaseFor } from './postgres-project';

/** The built service, as an operator runs it (`npm test` builds it first); another build can be named. */
export const SERVER_ENTRY =
  process.env.TICKETING_SERVER_ENTRY ?? path.resolve(__dirname, '..', '..', 'dist', 'main.js');

export interface ChildOptions {
  dataDir: string;
  /** Extra environment (overrides the defaults below). */
  env?: Record<string, string>;
  /** Sets the process umask through `sh -c 'umask …; exec node …'` (a child's env cannot). */
  umask?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

const running = new Set<ChildProcess>();
const emptyClientDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-no-client-'));

// Whatever a test does, no service outlives its file.
afterAll(() => {
  for (const child of running) child.kill('SIGKILL');
  fs.rmSync(emptyClientDir, { recursive: true, force: true });
});

/** A port that was free a moment ago (PORT=0 would not tell us which one the service took). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Whether something accepts connections on the port. */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export class ChildServer {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  exit: Exit | undefined;
  readonly url: string;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    running.add(child);
    child.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        running.delete(child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  /** Spawns the service without waiting for it (for a start that must fail). */
  static async spawn(options: ChildOptions): Promise<ChildServer> {
    if (!fs.existsSync(SERVER_ENTRY)) {
      throw new Error(`${SERVER_ENTRY} is missing: run npm run build first (npm test does).`);
    }
    const port = await freePort();
    // In the `integration (postgres)` project, the data folder's own PostgreSQL database and secret.
    const database =
      options.env?.DATABASE_URL === undefined ? await testDatabaseFor(options.dataDir) : undefined;
    const env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: options.dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      CLIENT_DIR: emptyClientDir,
      REGISTRATIONS_PER_HOUR: '1000',
      // Bursts of parallel requests test races, not capacity: nothing is shed.
      MAX_QUEUED_REQUESTS: '100000',
      MAX_QUEUE_WAIT_MS: '60000',
      ...(database?.databaseUrl
        ? { DATABASE_URL: database.databaseUrl, JWT_SECRET: database.jwtSecret }
        : {}),
      ...options.env,
    };
    const child = options.umask
      ? spawn('sh', ['-c', `umask ${options.umask} && exec "$0" "$1"`, process.execPath, SERVER_ENTRY], {
          env,
        })
      : spawn(process.execPath, [SERVER_ENTRY], { env });
    return new ChildServer(child, port);
  }

  /** Spawns the service and waits until /healthz answers 200. */
  static async start(options: ChildOptions): Promise<ChildServer> {
    const server = await ChildServer.spawn(options);
    await server.ready();
    return server;
  }

  async ready(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) throw new Error(`the service exited (${JSON.stringify(this.exit)}): ${this.stderr}`);
      try {
        if ((await fetch(`${this.url}/healthz`)).status === 200) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`the service was not healthy after ${timeoutMs} ms: ${this.stderr}`);
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (!this.exit) this.child.kill(signal);
  }

  /** The exit, or a failure if the process is still running after timeoutMs. */
  async exitWithin(timeoutMs: number): Promise<Exit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the service gracefully (SIGTERM) and waits for it. */
  async stop(): Promise<Exit> {
    this.kill('SIGTERM');
    return this.exitWithin(10_000);
  }

  async health(): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.url}/healthz`);
    return { status: response.status, body: await response.json() };
  }

  gql(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<GraphQLResponse> {
    return postGraphQL(this.url, query, variables, { token });
  }

  /** Like gql, but throws on any error. */
  async ok(query: string, variables: Record<string, unknown> = {}, token?: string): Promise<any> {
    return dataOf(await this.gql(query, variables, token));
  }

  /** Registers the first account (ADMIN on an empty database) and creates a project. */
  async adminAndProject(): Promise<{ token: string; projectId: string }> {
    const { register } = await this.ok(REGISTER, {
      input: { username: 'keeper', email: 'keeper@example.com', password: 'lighthouse keeper 1907' },
    });
    const { createProject } = await this.ok(
      CREATE_PROJECT,
      { input: { name: 'Lighthouse', description: 'The lamp and its keepers.' } },
      register.token,
    );
    return { token: register.token as string, projectId: createProject.id as string };
  }

  createTicket(token: string, projectId: string, title: string): Promise<GraphQLResponse> {
    return this.gql(
      CREATE_TICKET,
      { input: { projectId, title, description: 'Seen during a fault test.', category: 'BUG' } },
      token,
    );
  }
}
