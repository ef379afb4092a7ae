import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ChildServer } from '../support/child-server';

/**
 * Finding 3 of the fault issue: a graceful stop must end with a checkpointed, closed database and exit
 * code 0. Apollo's own signal handler used to re-send the signal before the database was closed, which
 * left the main file without its tables (everything still in the WAL). Only the main file is read here,
 * as a backup tool copying `ticketing.sqlite` alone would.
 */
let folder: string;

beforeAll(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-sigterm-'));
});
afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

test.each(['SIGTERM', 'SIGINT'] as const)(
  '%s: exit code 0, and the main file alone holds every ticket',
  async (signal) => {
    const dataDir = path.join(folder, signal, 'data');
    const server = await ChildServer.start({ dataDir });
    const { token, projectId } = await server.adminAndProject();
    const created = new Map<number, string>();
    for (let i = 1; i <= 5; i += 1) {
      const title = `Lamp ${i} flickers (${signal})`;
      const result = await server.createTicket(token, projectId, title);
      expect(result.errors).toBeUndefined();
      created.set(Number(result.data!.createTicket.id), title);
    }

    server.kill(signal);
    const exit = await server.exitWithin(5000).catch((error: Error) => error.message);

    const copy = path.join(folder, signal, 'copy.sqlite');
    fs.copyFileSync(path.join(dataDir, 'ticketing.sqlite'), copy);
    const db = new Database(copy, { readonly: true });
    try {
      const tables = (
        db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]
      ).map((row) => row.name);
      const tickets = tables.includes('ticket')
        ? (db.prepare('SELECT id, title FROM ticket ORDER BY id').all() as { id: number; title: string }[])
        : [];
      // One expectation, so that a failure shows the exit and what the main file holds together.
      expect({
        exit,
        stderr: server.stderr,
        tables: ['user', 'project', 'ticket', 'job', 'instance'].filter((name) => tables.includes(name)),
        tickets: new Map(tickets.map((row) => [row.id, row.title])),
        integrity: db.pragma('integrity_check', { simple: true }),
      }).toEqual({
        exit: { code: 0, signal: null },
        stderr: '',
        tables: ['user', 'project', 'ticket', 'job', 'instance'],
        tickets: created,
        integrity: 'ok',
      });
    } finally {
      db.close();
    }
  },
  20_000,
);
