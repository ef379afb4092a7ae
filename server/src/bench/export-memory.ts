import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { openSqlite } from '../database/sqlite-driver';

/**
 * The export's memory, measured where an operator sees it: the built service in a process of its own,
 * a database of `tickets` tickets with `jobsPerTicket` jobs each written straight into its tables, then
 * one full JSON export read over HTTP (and thrown away as it comes). Peak resident memory comes from
 * the kernel (/proc: VmHWM, reset after the idle reading, and VmRSS sampled every 20 ms).
 */
export interface ExportMemoryOptions {
  /** The built service's entry (server/dist/main.js). */
  serverEntry: string;
  tickets: number;
  jobsPerTicket: number;
}

export interface ExportMemoryFigures {
  tickets: number;
  jobs: number;
  seedSeconds: number;
  idleRssMb: number;
  peakRssMb: number;
  /** What the export added: the figure the issue bounds (150 MB). */
  peakAboveIdleMb: number;
  exportSeconds: number;
  exportedMb: number;
}

const MB = 1024 * 1024;
const words = ['login', 'export', 'photo', 'crash', 'slow', 'email', 'button', 'report', 'invoice', 'search'];

/** Whether this system shows a process's memory in /proc (Linux). */
export const canMeasureMemory = (): boolean => fs.existsSync('/proc/self/status');

export async function measureExportMemory(options: ExportMemoryOptions): Promise<ExportMemoryFigures> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-export-memory-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [options.serverEntry], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      NODE_ENV: 'production',
      CLIENT_DIR: path.join(dataDir, 'no-client'),
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    await healthy(url, child, () => stderr);
    const token = await registerAdmin(url);
    const seedStarted = performance.now();
    const { projectId, warmUpProjectId } = seed(
      path.join(dataDir, 'ticketing.sqlite'),
      options.tickets,
      options.jobsPerTicket,
    );
    const seedSeconds = (performance.now() - seedStarted) / 1000;

    // The idle server has served an export once (code loaded, JIT warm): what it holds then is the base.
    await exportOver(url, token, warmUpProjectId);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pid = child.pid!;
    const idle = memoryOf(pid).rss;
    const peakResettable = resetPeak(pid);
    let sampledPeak = idle;
    const sampler = setInterval(() => {
      sampledPeak = Math.max(sampledPeak, memoryOf(pid).rss);
    }, 20);
    const started = performance.now();
    let bytes: number;
    try {
      bytes = await exportOver(url, token, projectId);
    } finally {
      clearInterval(sampler);
    }
    const exportSeconds = (performance.now() - started) / 1000;
    const peak = Math.max(sampledPeak, peakResettable ? memoryOf(pid).hwm : 0);
    return {
      tickets: options.tickets,
      jobs: options.tickets * options.jobsPerTicket,
      seedSeconds,
      idleRssMb: idle / MB,
      peakRssMb: peak / MB,
      peakAboveIdleMb: (peak - idle) / MB,
      exportSeconds,
      exportedMb: bytes / MB,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve(null) : child.once('exit', resolve)));
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** One line of figures, for the test's output and the bench. */
export function describeFigures(figures: ExportMemoryFigures): string {
  const mb = (value: number) => `${value.toFixed(1)} MB`;
  return (
    `export of ${figures.tickets.toLocaleString('en')} tickets, ${figures.jobs.toLocaleString('en')} jobs ` +
    `(JSON, ${mb(figures.exportedMb)}): ${figures.exportSeconds.toFixed(1)} s; resident memory idle ` +
    `${mb(figures.idleRssMb)}, peak ${mb(figures.peakRssMb)}, so ${mb(figures.peakAboveIdleMb)} above idle ` +
    `(seeded in ${figures.seedSeconds.toFixed(1)} s)`
  );
}

/**
 * Reads the whole export of a project over HTTP, keeping nothing but its size and its last bytes;
 * node:http rather than fetch, whose web streams would make the reader, not the service, the bottleneck.
 */
function exportOver(url: string, token: string, projectId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${url}/api/export?project=${projectId}&format=json`,
      { headers: { authorization: `Bearer ${token}` } },
      (response) => {
        let bytes = 0;
        let tail = '';
        response.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          tail = (tail + chunk.subarray(-8).toString('latin1')).slice(-8);
        });
        response.on('error', reject);
        response.on('end', () => {
          if (response.statusCode !== 200)
            reject(new Error(`export answered ${response.statusCode}: ${tail}`));
          else if (!tail.endsWith(']}\n'))
            reject(new Error(`the export ended incomplete: ${JSON.stringify(tail)}`));
          else resolve(bytes);
        });
      },
    );
    request.on('error', reject);
  });
}

/** Bulk data straight into the tables, in one transaction, as the other benches do. */
function seed(file: string, tickets: number, jobsPerTicket: number) {
  const db = openSqlite(file);
  try {
    db.pragma('busy_timeout = 10000');
    const now = Date.now();
    const { passwordHash } = db.prepare('SELECT "passwordHash" FROM "user" ORDER BY id LIMIT 1').get() as {
      passwordHash: string;
    };
    const addUser = db.prepare(
      `INSERT INTO "user" (username, "usernameKey", email, "emailKey", "passwordHash", role, "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)`,
    );
    const addProject = db.prepare(
      `INSERT INTO "project" (name, "nameKey", description, "createdAt") VALUES (?, ?, ?, ?)`,
    );
    const addTicket = db.prepare(
      `INSERT INTO "ticket" (title, description, status, priority, category, "projectId", "authorId", "assigneeId", "createdAt", "updatedAt", "closedAt")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const addJob = db.prepare(
      `INSERT INTO "job" ("ticketId", "authorId", "authorRole", "createdAt", comment, internal, status, changes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    return db.transaction(() => {
      const userIds: number[] = [];
      for (let i = 1; i <= 50; i += 1) {
        const name = `member${i}`;
        const role = i <= 5 ? 'AGENT' : 'USER';
        userIds.push(
          Number(
            addUser.run(name, name, `${name}@example.com`, `${name}@example.com`, passwordHash, role, now)
              .lastInsertRowid,
          ),
        );
      }
      const projectId = Number(
        addProject.run('Big project', 'big project', 'Export bench', now).lastInsertRowid,
      );
      const warmUpProjectId = Number(
        addProject.run('Small project', 'small project', 'Warm-up', now).lastInsertRowid,
      );
      const start = now - tickets * 60_000;
      for (let i = 0; i < tickets; i += 1) {
        const createdAt = start + i * 60_000;
        const status = i % 5;
        const ticketId = Number(
          addTicket.run(
            `${words[i % 10]} problem number ${i} in ${words[(i * 7) % 10]}`,
            `Steps to reproduce ${i}: open the ${words[(i * 3) % 10]} page, click "${words[(i * 9) % 10]}", wait; it fails, again.`,
            status,
            i % 4,
            ['BUG', 'IMPROVEMENT', 'QUESTION', 'OTHER'][i % 4],
            i < 20 ? warmUpProjectId : projectId,
            userIds[5 + (i % 45)],
            i % 3 === 0 ? null : userIds[i % 5],
            createdAt,
            createdAt + jobsPerTicket * 60_000,
            status >= 3 ? createdAt + jobsPerTicket * 60_000 : null,
          ).lastInsertRowid,
        );
        for (let j = 0; j < jobsPerTicket; j += 1) {
          const first = j === 0;
          addJob.run(
            ticketId,
            first ? userIds[5 + (i % 45)] : userIds[j % 5],
            first ? 'USER' : 'AGENT',
            createdAt + j * 60_000,
            first
              ? null
              : `Looked at the ${words[(i + j) % 10]} logs, "step ${j}", nothing yet; trying again.`,
            j % 4 === 3 ? 1 : 0,
            first ? 0 : Math.min(status, 2),
            first
              ? '[{"field":"status","from":null,"to":"OPEN"}]'
              : '[{"field":"priority","from":"LOW","to":"HIGH"}]',
          );
        }
      }
      return { projectId, warmUpProjectId };
    })();
  } finally {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  }
}

async function registerAdmin(url: string): Promise<string> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
      variables: {
        input: { username: 'keeper', email: 'keeper@example.com', password: 'export bench keeper 2026' },
      },
    }),
  });
  const body = (await response.json()) as { data?: { register: { token: string } }; errors?: unknown };
  if (!body.data) throw new Error(`register failed: ${JSON.stringify(body.errors)}`);
  return body.data.register.token;
}

/** Resident memory now and at its peak (bytes), from the kernel's own accounting. */
function memoryOf(pid: number): { rss: number; hwm: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) =>
    Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Sets the peak (VmHWM) back to the current size, so it then tells the export's peak alone. */
function resetPeak(pid: number): boolean {
  try {
    fs.writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

async function healthy(url: string, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the service exited (${child.exitCode}): ${stderr()}`);
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the service was not healthy after 30 s: ${stderr()}`);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `npm run bench`'s part: the issue's size with ten jobs a ticket (1,000,000 jobs), figures printed. */
export async function benchExportMemory(): Promise<void> {
  const tickets = Number(process.env.BENCH_EXPORT_TICKETS ?? 100_000);
  console.log(
    `\nJSON export over HTTP, the built service in its own process (${tickets} tickets, 10 jobs each):`,
  );
  if (!canMeasureMemory()) {
    console.log('  skipped: resident memory is read from /proc (Linux)');
    return;
  }
  const figures = await measureExportMemory({
    serverEntry: path.join(__dirname, '..', 'main.js'),
    tickets,
    jobsPerTicket: 10,
  });
  console.log(`  ${describeFigures(figures)}`);
}
