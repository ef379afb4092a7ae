import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { Outbox } from './outbox';
import { OutboxMessage } from './outbox-message.entity';

let dataDir: string;
let database: Database;
const clock = new ManualClock(Date.UTC(2026, 10, 26, 9, 0));
const outbox = new Outbox(clock);
const WINDOW = 2 * 60 * 1000;
const message = (jobId: number) => ({
  channel: 'email' as const,
  recipient: 'reporter@example.com',
  recipientUserId: null,
  template: 'ticket-activity',
  params: { jobIds: [jobId] },
  subject: '[#1] A ticket',
});
const add = (jobId: number, at = clock.now()) =>
  database.transaction((manager) =>
    outbox.enqueueCoalesced(
      manager,
      message(jobId),
      { key: 'activity:1:2:3', windowMs: WINDOW, at },
      (waiting, next) => ({ jobIds: [...(waiting.jobIds as number[]), ...(next.jobIds as number[])] }),
    ),
  );

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-outbox-'));
  database = await openDatabase({ dataDir, databaseUrl: '' });
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('jobs within the window make one message, due when the window closes; a job after it starts another', async () => {
  const first = await add(1);
  expect(first.nextAttemptAt).toEqual(new Date(clock.now().getTime() + WINDOW));
  clock.advance(60_000);
  await add(2);
  // The window closed, the message was not sent yet (worker late, mail server down): a new one starts.
  clock.advance(61_000);
  await add(3);
  const rows = await database.manager.find(OutboxMessage, { order: { id: 'ASC' } });
  expect(rows.map((row) => ({ key: row.coalesceKey, jobIds: row.params.jobIds }))).toEqual([
    { key: 'activity:1:2:3', jobIds: [1, 2] },
    { key: 'activity:1:2:3', jobIds: [3] },
  ]);
});

test('windows follow the events’ times: jobs 5 minutes apart, handled late together, stay apart', async () => {
  await database.manager.clear(OutboxMessage);
  const first = clock.now().getTime();
  clock.advance(10 * WINDOW); // the consumer was paused
  const one = await add(4, new Date(first));
  const two = await add(5, new Date(first + 5 * 60_000));
  expect(one.id).not.toBe(two.id);
  expect(one.nextAttemptAt).toEqual(new Date(first + WINDOW));
  const three = await add(6, new Date(first + 5 * 60_000 + 30_000));
  expect(three.id).toBe(two.id);
  expect(three.params.jobIds).toEqual([5, 6]);
});
