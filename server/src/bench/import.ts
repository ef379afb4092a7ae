import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer } from '../app';
import type { ExportDocument, ExportedTicket } from '../exports/export-format';

/**
 * `npm run bench:import`: a JSON export of 100,000 tickets (3 jobs each, 20 users, one project) posted to
 * POST /api/import on an empty instance; prints the file's size, the time to answer and the server's
 * peak memory. Asserts nothing. BENCH_IMPORT_TICKETS changes the count.
 */
const TICKETS = Number(process.env.BENCH_IMPORT_TICKETS ?? 100_000);

function exportOf(count: number): ExportDocument {
  const users = Array.from({ length: 20 }, (_, i) => ({
    id: String(i + 1),
    username: `person${i + 1}`,
    email: `person${i + 1}@elsewhere.test`,
    role: (i < 3 ? 'AGENT' : 'USER') as never,
    locale: 'EN' as never,
    createdAt: '2024-01-01T00:00:00.000Z',
  }));
  const start = Date.UTC(2024, 1, 1);
  const tickets: ExportedTicket[] = Array.from({ length: count }, (_, i) => {
    const at = (minutes: number) => new Date(start + i * 60_000 + minutes * 60_000).toISOString();
    return {
      id: String(i + 1),
      projectId: '1',
      title: `Problem number ${i} with the export`,
      description: `Steps to reproduce ${i}: open the page and wait.`,
      status: 'RESOLVED' as never,
      priority: 'NORMAL' as never,
      category: 'BUG' as never,
      authorId: String((i % 17) + 4),
      assigneeId: String((i % 3) + 1),
      createdAt: at(0),
      updatedAt: at(30),
      closedAt: at(30),
      jobs: [
        {
          id: String(3 * i + 1),
          authorId: String((i % 17) + 4),
          authorRole: 'USER' as never,
          createdAt: at(0),
          comment: null,
          internal: false,
          status: 'OPEN' as never,
          changes: [{ field: 'status', from: null, to: 'OPEN' }],
        },
        {
          id: String(3 * i + 2),
          authorId: String((i % 3) + 1),
          authorRole: 'AGENT' as never,
          createdAt: at(10),
          comment: 'Looked at the logs.',
          internal: true,
          status: 'OPEN' as never,
          changes: [],
        },
        {
          id: String(3 * i + 3),
          authorId: String((i % 3) + 1),
          authorRole: 'AGENT' as never,
          createdAt: at(30),
          comment: 'Fixed in the next release.',
          internal: false,
          status: 'RESOLVED' as never,
          changes: [{ field: 'status', from: 'OPEN', to: 'RESOLVED' }],
        },
      ],
    };
  });
  return {
    format: 'simple-ticketing-export',
    version: 1,
    exportedAt: new Date().toISOString(),
    scope: { projectId: null },
    users,
    projects: [
      { id: '1', name: 'Benchmark', description: '', archived: false, createdAt: '2024-01-01T00:00:00.000Z' },
    ],
    tickets,
  };
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-bench-import-'));
  const body = JSON.stringify(exportOf(TICKETS));
  const megabytes = Buffer.byteLength(body) / 1e6;
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    logLevel: 'warn',
    nodeEnv: 'production',
    clientDir: dataDir,
    importMaxMb: Math.ceil(megabytes) + 1,
  });
  try {
    const registered = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: 'mutation ($input: RegisterInput!) { register(input: $input) { token } }',
        variables: {
          input: { username: 'bench-admin', email: 'bench@example.com', password: 'bench password 2026' },
        },
      }),
    });
    const token = ((await registered.json()) as { data: { register: { token: string } } }).data.register
      .token;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
    const idle = process.memoryUsage().rss;
    const started = performance.now();
    const answer = await fetch(`${server.url}/api/import`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    const result = (await answer.json()) as { message?: string; error?: unknown };
    console.log(
      `POST /api/import of ${TICKETS.toLocaleString('en')} tickets (${(TICKETS * 3).toLocaleString('en')} jobs, ${megabytes.toFixed(1)} MB): HTTP ${answer.status} in ${seconds.toFixed(1)} s`,
    );
    console.log(`  ${result.message ?? JSON.stringify(result.error)}`);
    console.log(
      `  process memory: ${(idle / 1e6).toFixed(0)} MB before, peak ${(peak / 1e6).toFixed(0)} MB (the file and its parsed form are held while checked)`,
    );
  } finally {
    await server.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
