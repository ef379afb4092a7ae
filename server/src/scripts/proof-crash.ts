/**
 * `npm run proof:crash`: proves that an acknowledged write survives a crash. The built service runs on a
 * temporary folder while 4 writers create tickets; it is SIGKILLed at a random moment, restarted on the
 * same folder, 20 times. Then every ticket acknowledged (HTTP 200, no error) must be in the database with
 * its opening job, ids unique, integrity_check ok. Loopback only; stops by itself. Exit 1 if anything
 * acknowledged is lost.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from '../database/sqlite-driver';

const ROUNDS = 20;
const WRITERS = 4;
const KILL_AFTER_MS = [200, 1500] as const;
/** The whole run stops by itself past this, and says so. */
const DEADLINE_MS = 170_000;
const SERVER_ENTRY = path.resolve(__dirname, '..', 'main.js');

interface Acknowledged {
  id: number;
  title: string;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

class Service {
  private exited: Promise<void>;
  private stderr = '';

  constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  static async start(dataDir: string, port: number): Promise<Service> {
    const child = spawn(process.execPath, [SERVER_ENTRY], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PORT: String(port),
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        LOG_LEVEL: 'error',
        NODE_ENV: 'production',
        CLIENT_DIR: path.join(dataDir, 'no-client'),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const service = new Service(child, `http://127.0.0.1:${port}`);
    const deadline = Date.now() + 20_000;
    let exited = false;
    void service.exited.then(() => (exited = true));
    while (Date.now() < deadline && !exited) {
      try {
        if ((await fetch(`${service.url}/healthz`)).status === 200) return service;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    child.kill('SIGKILL');
    throw new Error(`the service did not become healthy: ${service.stderr.trim()}`);
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    this.child.kill(signal);
    await this.exited;
  }

  async gql(query: string, variables: Record<string, unknown>, token?: string) {
    const response = await fetch(`${this.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: { message: string }[] };
    return { status: response.status, ...body };
  }
}

const CREATE = 'mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }';

async function main(): Promise<number> {
  if (!fs.existsSync(SERVER_ENTRY)) throw new Error(`${SERVER_ENTRY} is missing: run npm run build first`);
  const began = Date.now();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-proof-crash-'));
  const port = await freePort();
  const acknowledged: Acknowledged[] = [];
  const unexpected: string[] = [];
  let failedAtKill = 0;
  let rounds = 0;
  let writeMs = 0;

  try {
    let service = await Service.start(dataDir, port);
    const registered = await service.gql(
      'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
      { input: { username: 'crash', email: 'crash@example.com', password: 'crash proof keeper 2026' } },
    );
    const token = registered.data?.register?.token as string;
    const project = await service.gql(
      'mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }',
      { input: { name: 'Crash proof', description: 'Tickets written while the service is killed.' } },
      token,
    );
    const projectId = project.data?.createProject?.id as string;
    if (!token || !projectId) throw new Error(`setup failed: ${JSON.stringify([registered, project])}`);

    for (let round = 1; round <= ROUNDS; round += 1) {
      if (Date.now() - began > DEADLINE_MS) {
        unexpected.push(`stopped after ${rounds} rounds: past the ${DEADLINE_MS / 1000} s deadline`);
        break;
      }
      let killed = false;
      const writer = async (w: number) => {
        for (let n = 1; !killed; n += 1) {
          const title = `crash r${round} w${w} #${n}`;
          try {
            const result = await service.gql(
              CREATE,
              { input: { projectId, title, description: 'Written under SIGKILL.', category: 'BUG' } },
              token,
            );
            const id = Number(result.data?.createTicket?.id);
            if (result.status === 200 && !result.errors?.length && Number.isInteger(id)) {
              acknowledged.push({ id, title });
            } else if (!killed) {
              // The token must stay valid across restarts, and a healthy service refuses nothing.
              unexpected.push(`round ${round}: ${result.status} ${JSON.stringify(result.errors)}`);
            } else {
              failedAtKill += 1;
            }
          } catch (error) {
            if (!killed) unexpected.push(`round ${round}: ${(error as Error).message}`);
            else failedAtKill += 1;
          }
        }
      };
      const started = Date.now();
      const writers = Array.from({ length: WRITERS }, (_, w) => writer(w + 1));
      const [min, max] = KILL_AFTER_MS;
      await new Promise((resolve) => setTimeout(resolve, min + Math.random() * (max - min)));
      killed = true;
      await service.kill('SIGKILL');
      writeMs += Date.now() - started;
      await Promise.all(writers);
      rounds = round;
      service = await Service.start(dataDir, port);
    }
    await service.kill('SIGTERM');
  } catch (error) {
    unexpected.push(`aborted: ${(error as Error).message}`);
  }

  const db = openSqlite(path.join(dataDir, 'ticketing.sqlite'), { readonly: true });
  const integrity = db.pragma('integrity_check', { simple: true }) as string;
  const ticket = db.prepare('SELECT "title" FROM "ticket" WHERE "id" = ?');
  const openingJob = db.prepare('SELECT "changes" FROM "job" WHERE "ticketId" = ? ORDER BY "id" LIMIT 1');
  let found = 0;
  const lost: string[] = [];
  for (const { id, title } of acknowledged) {
    const row = ticket.get(id) as { title: string } | undefined;
    const job = openingJob.get(id) as { changes: string } | undefined;
    const opened = job
      ? (JSON.parse(job.changes) as { field: string; to: string }[]).some(
          (change) => change.field === 'status' && change.to === 'OPEN',
        )
      : false;
    if (row?.title === title && opened) found += 1;
    else lost.push(`#${id} "${title}": ${row ? (opened ? 'other title' : 'no opening job') : 'missing'}`);
  }
  const [{ total }] = db.prepare('SELECT COUNT(*) AS total FROM "ticket"').all() as { total: number }[];
  db.close();
  const duplicates = acknowledged.length - new Set(acknowledged.map((entry) => entry.id)).size;
  const seconds = (Date.now() - began) / 1000;

  console.log('proof:crash — SIGKILL under 4 concurrent writers, restart on the same data folder');
  console.log(`  rounds                      ${rounds} of ${ROUNDS}`);
  console.log(`  acknowledged tickets        ${acknowledged.length}`);
  console.log(`  found with opening job      ${found}`);
  console.log(`  lost                        ${lost.length}`);
  console.log(`  duplicate ids acknowledged  ${duplicates}`);
  console.log(`  tickets in the database     ${total} (the rest were saved but not acknowledged)`);
  console.log(`  failed at kill time         ${failedAtKill} (not acknowledged: fine)`);
  console.log(`  integrity_check             ${integrity}`);
  console.log(`  total time                  ${seconds.toFixed(1)} s`);
  console.log(`  writes/s while writing      ${(acknowledged.length / (writeMs / 1000)).toFixed(0)}`);
  for (const line of [...lost, ...unexpected].slice(0, 20)) console.log(`  ! ${line}`);

  fs.rmSync(dataDir, { recursive: true, force: true });
  const proven = lost.length === 0 && duplicates === 0 && integrity === 'ok' && unexpected.length === 0;
  console.log(proven ? 'PROVEN: no acknowledged write was lost' : 'FAILED');
  return proven ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('proof:crash could not run:', error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
