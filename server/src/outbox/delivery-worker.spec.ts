import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../clock';
import { resolveConfig } from '../config';
import { type Database, openDatabase } from '../database/data-source';
import { CLAIM_MS, DeliveryWorker, type DeliveryWorkerOptions, type WorkerLog } from './delivery-worker';
import { EmailSender } from './email-sender';
import { MailServerUnreachable, type Mailer, type OutgoingMail } from './mailer';
import { Outbox } from './outbox';
import { OutboxMessage, OutboxState } from './outbox-message.entity';
import { RendererRegistry } from './renderers';

let dataDir: string;
let database: Database;
const clock = new ManualClock(Date.UTC(2026, 4, 4, 10));
const outbox = new Outbox(clock);
const renderers = new RendererRegistry();
renderers.register('note', async (message) => ({
  subject: `Note ${String(message.params.n)}`,
  text: 'Hello',
  html: '<p>Hello</p>',
}));
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function workerWith(
  mailer: Mailer,
  options: DeliveryWorkerOptions = {},
  log: WorkerLog = quiet,
): DeliveryWorker {
  const config = resolveConfig({ dataDir });
  const sender = new EmailSender({ database, clock, mailer, config, renderers, secrets: outbox.secrets });
  return new DeliveryWorker({ database, clock, log, channel: 'email', sender }, options);
}

async function enqueue(count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let n = 1; n <= count; n += 1) {
    const message = await database.transaction((manager) =>
      outbox.enqueue(manager, {
        channel: 'email',
        recipient: `person${n}@example.com`,
        recipientUserId: null,
        template: 'note',
        params: { n },
        subject: null,
      }),
    );
    ids.push(message.id);
  }
  return ids;
}

const load = (ids: number[]) =>
  Promise.all(ids.map((id) => database.manager.findOneByOrFail(OutboxMessage, { id })));

beforeEach(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'delivery-worker-'));
  database = await openDatabase({ dataDir, databaseUrl: '' });
});
afterEach(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('slow sends: a second worker never sends what the first one is about to send', async () => {
  const ids = await enqueue(3);
  const sent: string[] = [];
  const second = workerWith({
    send: async (mail: OutgoingMail) => void sent.push(`second → ${mail.to}`),
  });
  let sends = 0;
  // Each send of the first worker takes 70 s; during its second one, the other worker runs.
  const first = workerWith({
    send: async (mail: OutgoingMail) => {
      clock.advance(70_000);
      if (++sends === 2) await second.runOnce();
      sent.push(`first → ${mail.to}`);
    },
  });
  await first.runOnce();
  expect(sent.sort()).toEqual([
    'first → person1@example.com',
    'first → person2@example.com',
    'second → person3@example.com',
  ]);
  expect((await load(ids)).map((m) => [m.state, m.attempts])).toEqual([
    [OutboxState.SENT, 1],
    [OutboxState.SENT, 1],
    [OutboxState.SENT, 1],
  ]);
});

test('a mail server that cannot be reached ends the run: the others stay due, untried', async () => {
  const ids = await enqueue(3);
  let tries = 0;
  const worker = workerWith({
    send: async () => {
      tries += 1;
      throw new MailServerUnreachable('ESOCKET: connect ECONNREFUSED 127.0.0.1:2525');
    },
  });
  expect(await worker.runOnce()).toBe(1);
  expect(tries).toBe(1);
  const [tried, ...rest] = await load(ids);
  expect(tried).toMatchObject({ state: OutboxState.PENDING, attempts: 1, claimedUntil: null });
  expect(rest.map((m) => [m.attempts, m.claimedUntil, m.lastError])).toEqual([
    [0, null, null],
    [0, null, null],
  ]);
});

test('a send that hangs past its deadline fails its try, ends the run, and stays claimed', async () => {
  const ids = await enqueue(2);
  const worker = workerWith({ send: () => new Promise(() => undefined) }, { sendDeadlineMs: 50 });
  const claimedAt = clock.now().getTime();
  expect(await worker.runOnce()).toBe(1);
  const [hung, other] = await load(ids);
  expect(hung).toMatchObject({
    state: OutboxState.PENDING,
    attempts: 1,
    lastError: 'No answer within 0.05 s',
  });
  expect(hung.claimedUntil?.getTime()).toBe(claimedAt + CLAIM_MS);
  expect(hung.nextAttemptAt!.getTime()).toBeGreaterThanOrEqual(claimedAt + CLAIM_MS);
  expect(other.attempts).toBe(0);
});

test('stop() waits for a hanging send only so long; the message stays PENDING until its claim runs out', async () => {
  const [id] = await enqueue(1);
  let started!: () => void;
  const sending = new Promise<void>((resolve) => (started = resolve));
  const warnings: string[] = [];
  const worker = workerWith(
    {
      send: () => {
        started();
        return new Promise(() => undefined);
      },
    },
    { stopGraceMs: 100 },
    { ...quiet, warn: (_fields: unknown, message: string) => void warnings.push(message) },
  );
  worker.start();
  await sending;
  const before = Date.now();
  await worker.stop();
  expect(Date.now() - before).toBeLessThan(1000);
  const [message] = await load([id]);
  expect(message).toMatchObject({ state: OutboxState.PENDING, attempts: 0 });
  expect(message.claimedUntil!.getTime()).toBe(clock.now().getTime() + CLAIM_MS);
  expect(warnings).toEqual([
    'a send did not finish in time; left pending, it goes out once its claim runs out (2 minutes), by this process if it is still running, else by the next start',
  ]);
});

test('messages with one orderKey go out in order: while the first one waits for a retry, the next waits too', async () => {
  const queue = (orderKey: string | null, n: number) =>
    database.transaction((manager) =>
      outbox.enqueue(manager, {
        channel: 'webhook',
        recipient: 'https://hooks.example.com/',
        recipientUserId: null,
        template: 'webhook-delivery',
        params: { n },
        subject: null,
        orderKey,
      }),
    );
  const [first, second, other] = [
    await queue('webhook:1', 1),
    await queue('webhook:1', 2),
    await queue('webhook:2', 3),
  ];
  const [email] = await enqueue(1);
  const sent: number[] = [];
  let failFirst = true;
  const worker = new DeliveryWorker({
    database,
    clock,
    log: quiet,
    channel: 'webhook',
    sender: {
      send: async (message) => {
        if (message.id === first.id && failFirst) throw new Error('ECONNREFUSED');
        sent.push(message.params.n as number);
        return {};
      },
    },
  });
  await worker.runOnce();
  // The first failed: the second, behind it, was not tried; the other webhook's went; email is not this worker's.
  expect(sent).toEqual([3]);
  expect((await load([first.id, second.id, other.id, email])).map((m) => [m.state, m.attempts])).toEqual([
    [OutboxState.PENDING, 1],
    [OutboxState.PENDING, 0],
    [OutboxState.SENT, 1],
    [OutboxState.PENDING, 0],
  ]);
  failFirst = false;
  clock.advance(60_000);
  await worker.runOnce();
  expect(sent).toEqual([3, 1, 2]);
});
