import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { EventLog } from '../events/event-log';
import { ProjectService } from '../projects/project.service';
import { Job } from '../tickets/job.entity';
import { JobRecorder } from '../tickets/job-recorder';
import { TicketStatus } from '../tickets/ticket.enums';
import { TicketService } from '../tickets/ticket.service';
import { Role } from '../users/role';
import type { User } from '../users/user.entity';
import { userServiceFor } from '../../test/support/user-service';
import { HistoryService } from './history.service';

let dataDir: string;
let database: Database;
let tickets: TicketService;
let feed: HistoryService;
let admin: User;
let ticketId: number;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'history-service-'));
  database = await openDatabase({ databaseUrl: '', dataDir });
  admin = await userServiceFor(database).register({
    username: 'admin',
    email: 'admin@example.com',
    password: 'purple elephants dance',
  });
  const projectId = String(
    (await new ProjectService(database, systemClock).create(admin, { name: 'App' })).id,
  );
  tickets = new TicketService(database, systemClock, new JobRecorder(new EventLog(database)));
  feed = new HistoryService(database);
  ticketId = (await tickets.create(admin, { projectId, title: 'Crash on start', description: 'It closes.' }))
    .id;
});

afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const pause = () => new Promise((resolve) => setTimeout(resolve, 20));

test('the feed never reads a transaction in flight: a job rolled back is never delivered, and the id it had is not skipped', async () => {
  const opened = await feed.list(admin, { first: 10 });
  const cursor = opened.pageInfo.endCursor;
  let release = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  let phantomId = 0;
  const rolledBack = database.transaction(async (manager) => {
    const phantom = await manager.save(
      manager.create(Job, {
        ticketId,
        authorId: admin.id,
        authorRole: Role.ADMIN,
        createdAt: new Date(),
        comment: 'Never committed.',
        internal: false,
        status: TicketStatus.OPEN,
        changes: [],
      }),
    );
    phantomId = phantom.id;
    await held;
    throw new Error('rolled back');
  });
  await pause();
  expect(phantomId).toBeGreaterThan(0);

  let answered = false;
  const reading = feed.list(admin, { first: 10, after: cursor }).finally(() => (answered = true));
  await pause();
  // On the shared SQLite connection the uncommitted row is there to be read: the feed waits instead.
  expect(answered).toBe(false);
  release();
  await expect(rolledBack).rejects.toThrow('rolled back');
  expect((await reading).edges).toEqual([]);

  // The next job takes the id the rolled-back one had: a reader that had seen the phantom would skip it.
  await tickets.update(admin, ticketId, { comment: 'The real one.' });
  const next = await feed.list(admin, { first: 10, after: cursor });
  expect(next.edges.map((edge) => [edge.node.id, edge.node.comment])).toEqual([[phantomId, 'The real one.']]);
});
