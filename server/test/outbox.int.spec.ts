import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { ManualClock } from '../src/clock';
import { DomainEvent, EventConsumerCursor } from '../src/events/domain-event.entity';
import type { EventConsumer } from '../src/events/event-consumers';
import { OutboxMessage, OutboxState } from '../src/outbox/outbox-message.entity';
import { MessageCancelled, type MessageRenderer } from '../src/outbox/renderers';
import { RETRY_DELAYS_MS } from '../src/outbox/retry-schedule';
import { ChildServer } from './support/child-server';
import { dataOf } from './support/graphql-client';
import { MailCatcher } from './support/mail-catcher';
import { TestApi, type TestUser, errorCodes } from './support/test-server';
import { rawQuery } from '../src/database/sql';
import { sqlBeside } from './support/postgres-project';

const MINUTE = 60_000;
const SMTP_AUTH = { user: 'mailer', pass: 'smtp-pa55-w0rd' };

// A template of the tests' own, registered on each server: what the worker does depends on no real message.
const testNote: MessageRenderer = async (message, { publicUrl }) => {
  if (message.params.cancel) throw new MessageCancelled(String(message.params.cancel));
  return {
    subject: `Note ${String(message.params.n)}`,
    text: `Hello ${String(message.params.n)}: ${publicUrl}/tickets/1${message.params.secret ? `?key=${String(message.params.secret)}` : ''}`,
    html: `<p>Hello <b>${String(message.params.n)}</b></p>`,
    headers: { 'X-Test-Note': String(message.params.n) },
  };
};

const OUTBOX = `query ($state: OutboxState, $first: Int, $after: String) {
  outbox(state: $state, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id } }
    nodes { id channel recipient subject state attempts lastError createdAt nextAttemptAt sentAt }
  }
}`;
const RETRY = `mutation ($id: ID!) { retryOutboxMessage(id: $id) { id state attempts nextAttemptAt lastError } }`;

describe('the outbox over real SMTP', () => {
  let catcher: MailCatcher;
  let clock: ManualClock;
  let api: TestApi;
  let admin: TestUser;
  let agent: TestUser;
  let user: TestUser;
  let counter = 0;

  beforeAll(async () => {
    catcher = await MailCatcher.start({ auth: SMTP_AUTH });
    clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
    api = await TestApi.start({ smtpUrl: catcher.url }, { clock });
    api.server.services.renderers.register('test-note', testNote);
    ({ admin, agent } = await api.registerAdminAndAgent());
    user = await api.register('reporter');
  });

  afterAll(async () => {
    await api.stop();
    await catcher.stop();
  });

  afterEach(async () => {
    await catcher.start();
  });

  // Sessions end on the server's clock, which these tests move by days: sign in again where needed.
  async function signIn(person: TestUser): Promise<string> {
    const { login } = dataOf(await api.login(person.username, person.password));
    return (person.token = login.token);
  }
  beforeEach(async () => {
    for (const person of [admin, agent, user]) await signIn(person);
  });

  /** A message written as the rules write them: inside a transaction, through Outbox.enqueue. */
  async function enqueue(params: Record<string, unknown> = {}): Promise<{ id: number; n: number }> {
    const n = ++counter;
    const { database, outbox } = api.server.services;
    const message = await database.transaction((manager) =>
      outbox.enqueue(manager, {
        channel: 'email',
        recipient: `person${n}@example.com`,
        recipientUserId: null,
        template: 'test-note',
        params: { n, ...params },
        subject: null,
      }),
    );
    return { id: message.id, n };
  }

  const load = (id: number) => api.server.services.database.manager.findOneByOrFail(OutboxMessage, { id });
  const runOnce = () => api.server.delivery.runOnce();

  test('a link secret is stored sealed, not as written; the mail carries it; it is gone once sent', async () => {
    const { database, outbox } = api.server.services;
    const rawParams = (manager = database.manager, id?: number) =>
      rawQuery<{ params: string }[]>(manager, `SELECT "params" FROM "outbox_message" WHERE "id" = ?`, [
        id,
      ]).then((rows: { params: string }[]) => rows[0].params);
    // Read inside the enqueuing transaction: the worker, woken by the commit, cannot have sent it yet.
    const { id, stored } = await database.transaction(async (manager) => {
      const message = await outbox.enqueue(manager, {
        channel: 'email',
        recipient: 'sealed@example.com',
        recipientUserId: null,
        template: 'test-note',
        params: { n: 'sealed', secret: 'link-secret-456' },
        subject: null,
      });
      return { id: message.id, stored: await rawParams(manager, message.id) };
    });
    expect(stored).not.toContain('link-secret-456');
    expect(JSON.parse(stored)).toEqual({ n: 'sealed', secret: expect.stringMatching(/^v1\./) });
    await runOnce();
    const mail = await catcher.waitFor((m) => m.to.includes('sealed@example.com'));
    expect(mail.text).toContain('?key=link-secret-456');
    expect(JSON.parse(await rawParams(database.manager, id))).toEqual({ n: 'sealed' });
  });

  test('a message is delivered over SMTP: From, To, subject, text, HTML, headers; then SENT, its secret gone', async () => {
    const { id, n } = await enqueue({ secret: 'link-secret-123' });
    await runOnce();
    const mail = await catcher.waitFor((m) => m.to.includes(`person${n}@example.com`));
    expect(mail.subject).toBe(`Note ${n}`);
    expect(mail.headers.from).toBe('Simple Ticketing <no-reply@localhost>');
    expect(mail.text).toContain(`Hello ${n}: ${api.url}/tickets/1`);
    expect(mail.html).toContain(`<b>${n}</b>`);
    expect(mail.headers['x-test-note']).toBe(String(n));

    const sent = await load(id);
    expect(sent).toMatchObject({
      state: OutboxState.SENT,
      attempts: 1,
      lastError: null,
      nextAttemptAt: null,
      claimedUntil: null,
      subject: `Note ${n}`,
    });
    expect(sent.sentAt).toEqual(clock.now());
    expect(sent.params).toEqual({ n });
  });

  test('the worker sends on its own after the commit, without being asked', async () => {
    const { id, n } = await enqueue();
    await catcher.waitFor((m) => m.to.includes(`person${n}@example.com`), 3000);
    for (let i = 0; i < 50 && (await load(id)).state !== OutboxState.SENT; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect((await load(id)).state).toBe(OutboxState.SENT);
  });

  test('SMTP down: each try fails on the schedule (1, 5, 15 min…), and once it is back the message goes at its next try', async () => {
    await catcher.stop();
    const { id, n } = await enqueue();
    const start = clock.now().getTime();

    await runOnce();
    let message = await load(id);
    expect(message).toMatchObject({ state: OutboxState.PENDING, attempts: 1, claimedUntil: null });
    expect(message.lastError).toMatch(/ECONNREFUSED|ESOCKET|ECONNECTION/);
    expect(message.lastError).not.toContain(SMTP_AUTH.pass);
    expect(message.nextAttemptAt?.getTime()).toBe(start + MINUTE);

    // Not due yet: nothing is tried.
    clock.advance(MINUTE - 1000);
    await runOnce();
    expect((await load(id)).attempts).toBe(1);

    clock.advance(1000);
    await runOnce();
    message = await load(id);
    expect(message.attempts).toBe(2);
    expect(message.nextAttemptAt?.getTime()).toBe(start + MINUTE + 5 * MINUTE);

    await catcher.start();
    clock.advance(4 * MINUTE);
    await runOnce();
    expect((await load(id)).state).toBe(OutboxState.PENDING);
    clock.advance(MINUTE);
    await runOnce();
    await catcher.waitFor((m) => m.to.includes(`person${n}@example.com`));
    message = await load(id);
    expect(message).toMatchObject({ state: OutboxState.SENT, attempts: 3, lastError: null });
    expect(message.sentAt?.getTime()).toBe(start + 6 * MINUTE);
  });

  test('a ten-minute SMTP outage: the message goes out at its 4th try, 21 minutes after it was due', async () => {
    await catcher.stop();
    const { id, n } = await enqueue();
    const start = clock.now().getTime();
    let sentAtMinute: number | undefined;
    for (let minute = 0; minute <= 30 && sentAtMinute === undefined; minute += 1) {
      clock.set(start + minute * MINUTE);
      if (minute === 10) await catcher.start();
      await runOnce();
      if ((await load(id)).state === OutboxState.SENT) sentAtMinute = minute;
    }
    expect(sentAtMinute).toBe(21);
    expect((await load(id)).attempts).toBe(4);
    expect(catcher.to(`person${n}@example.com`)).toHaveLength(1);
  });

  test('after its 10th failed try (about a day) a message is FAILED and kept; retryOutboxMessage sends it again', async () => {
    await catcher.stop();
    const { id, n } = await enqueue({ secret: 'kept-until-sent' });
    for (const delay of RETRY_DELAYS_MS) {
      await runOnce();
      clock.advance(delay);
    }
    await runOnce();
    let message = await load(id);
    expect(message).toMatchObject({ state: OutboxState.FAILED, attempts: 10, nextAttemptAt: null });
    expect(message.lastError).toBeTruthy();
    // A FAILED message keeps its link secret, sealed (never in clear), so a retry can still send it.
    expect(message.params.n).toBe(n);
    expect(JSON.stringify(message.params)).not.toContain('kept-until-sent');
    expect(message.params.secret).toEqual(expect.any(String));

    clock.advance(7 * 24 * 60 * MINUTE);
    await runOnce();
    expect((await load(id)).state).toBe(OutboxState.FAILED);

    await catcher.start();
    const retried = await api.ok(RETRY, { id: String(id) }, await signIn(admin));
    expect(retried.retryOutboxMessage).toMatchObject({
      id: String(id),
      state: 'PENDING',
      attempts: 0,
      nextAttemptAt: clock.now().toISOString(),
    });
    await runOnce();
    await catcher.waitFor((m) => m.to.includes(`person${n}@example.com`));
    message = await load(id);
    expect(message.state).toBe(OutboxState.SENT);
    expect(message.params).toEqual({ n });
  });

  test('a message with nobody to send it to is CANCELLED: kept with why, not a try, not retryable', async () => {
    const { id, n } = await enqueue({ cancel: 'the recipient turned email notifications off', secret: 'x' });
    await runOnce();
    expect(await load(id)).toMatchObject({
      state: OutboxState.CANCELLED,
      attempts: 0,
      nextAttemptAt: null,
      claimedUntil: null,
      lastError: 'Not sent: the recipient turned email notifications off',
      params: { n, cancel: 'the recipient turned email notifications off' },
    });
    expect(catcher.to(`person${n}@example.com`)).toEqual([]);
    const { outbox } = await api.ok(OUTBOX, { state: 'CANCELLED', first: 100 }, admin.token);
    expect(outbox.nodes.map((node: { id: string }) => node.id)).toContain(String(id));
    const retried = await api.gql(RETRY, { id: String(id) }, { token: admin.token });
    expect(errorCodes(retried)).toEqual(['BAD_USER_INPUT']);
    expect((await load(id)).state).toBe(OutboxState.CANCELLED);
  });

  test('a template without a renderer fails its try with a clear error', async () => {
    const message = await api.server.services.database.transaction((manager) =>
      api.server.services.outbox.enqueue(manager, {
        channel: 'email',
        recipient: 'nobody@example.com',
        recipientUserId: null,
        template: 'no-such-template',
        params: {},
        subject: null,
      }),
    );
    await runOnce();
    expect(await load(message.id)).toMatchObject({
      state: OutboxState.PENDING,
      attempts: 1,
      lastError: 'No renderer for template "no-such-template"',
    });
  });

  test('retryOutboxMessage: NOT_FOUND for an unknown id, rule invalid for a message that did not fail, ADMIN only', async () => {
    const { id } = await enqueue();
    await runOnce();
    expect(errorCodes(await api.gql(RETRY, { id: '999999' }, { token: admin.token }))).toEqual(['NOT_FOUND']);
    const notFailed = await api.gql(RETRY, { id: String(id) }, { token: admin.token });
    expect(errorCodes(notFailed)).toEqual(['BAD_USER_INPUT']);
    expect(notFailed.errors?.[0].extensions?.invalidFields).toEqual([
      expect.objectContaining({ field: 'id', rule: 'invalid' }),
    ]);
    expect(errorCodes(await api.gql(RETRY, { id: String(id) }, { token: agent.token }))).toEqual([
      'FORBIDDEN',
    ]);
    expect(errorCodes(await api.gql(RETRY, { id: String(id) }))).toEqual(['UNAUTHENTICATED']);
  });

  test('outbox: ADMIN only; newest first; filtered by state; cursor pages; first is 1 to 100', async () => {
    await catcher.stop();
    await enqueue();
    await runOnce();
    await catcher.start();

    expect(errorCodes(await api.gql(OUTBOX, {}, { token: agent.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await api.gql(OUTBOX, {}, { token: user.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await api.gql(OUTBOX, {}))).toEqual(['UNAUTHENTICATED']);

    const all = await api.server.services.database.manager.find(OutboxMessage, { order: { id: 'DESC' } });
    const { outbox } = await api.ok(OUTBOX, { first: 100 }, admin.token);
    expect(outbox.totalCount).toBe(all.length);
    expect(outbox.nodes.map((node: { id: string }) => node.id)).toEqual(all.map((m) => String(m.id)));
    const pending = outbox.nodes.find((node: { state: string }) => node.state === 'PENDING');
    expect(pending).toMatchObject({ channel: 'email', attempts: 1, lastError: expect.any(String) });
    expect(pending.nextAttemptAt).toEqual(expect.any(String));

    for (const state of ['PENDING', 'SENT', 'FAILED', 'CANCELLED']) {
      const page = (await api.ok(OUTBOX, { state, first: 100 }, admin.token)).outbox;
      expect(page.nodes.every((node: { state: string }) => node.state === state)).toBe(true);
      expect(page.totalCount).toBe(all.filter((m) => m.state === state).length);
    }

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page: any = (await api.ok(OUTBOX, { first: 2, after }, admin.token)).outbox;
      expect(page.nodes.length).toBeLessThanOrEqual(2);
      expect(page.edges.map((edge: { node: { id: string } }) => edge.node.id)).toEqual(
        page.nodes.map((node: { id: string }) => node.id),
      );
      seen.push(...page.nodes.map((node: { id: string }) => node.id));
      after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
    } while (after);
    expect(seen).toEqual(all.map((m) => String(m.id)));

    for (const first of [0, 101]) {
      expect(errorCodes(await api.gql(OUTBOX, { first }, { token: admin.token }))).toEqual([
        'BAD_USER_INPUT',
      ]);
    }
    expect(errorCodes(await api.gql(OUTBOX, { after: 'bm9wZQ' }, { token: admin.token }))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  test('sending never slows a mutation: while the SMTP server hangs, requests answer at once', async () => {
    // A server that accepts connections and never says a word: the worst SMTP outage.
    await catcher.stop();
    const sockets = new Set<net.Socket>();
    const blackHole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(catcher.port, '127.0.0.1', resolve));
    try {
      const { id } = await enqueue();
      // The worker is now waiting for a greeting that never comes.
      for (let i = 0; i < 100 && sockets.size === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
      expect(sockets.size).toBeGreaterThan(0);
      const started = Date.now();
      await api.createProject(admin);
      await api.createTicket(user, await api.createProject(admin));
      expect(Date.now() - started).toBeLessThan(1000);
      expect((await load(id)).state).toBe(OutboxState.PENDING);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
    }
    // The cut connection fails the try; nothing hangs.
    await runOnce();
  });
});

describe('without SMTP_URL: .eml files in DATA_DIR/outbox', () => {
  test('each message is written as a readable .eml, 0600 in a 0700 folder, and logged with recipient and subject', async () => {
    const api = await TestApi.start({}, { captureLogs: true });
    api.server.services.renderers.register('test-note', testNote);
    try {
      const { database, outbox } = api.server.services;
      await database.transaction((manager) =>
        outbox.enqueue(manager, {
          channel: 'email',
          recipient: 'reader@example.com',
          recipientUserId: null,
          template: 'test-note',
          params: { n: 'file' },
          subject: null,
        }),
      );
      await api.server.delivery.runOnce();
      const folder = path.join(api.dataDir, 'outbox');
      const files = fs.readdirSync(folder);
      expect(files).toHaveLength(1);
      expect(files[0]).toMatch(/\.eml$/);
      expect(fs.statSync(folder).mode & 0o777).toBe(0o700);
      const file = path.join(folder, files[0]);
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      const parsed = await simpleParser(fs.readFileSync(file));
      expect(parsed.subject).toBe('Note file');
      expect(parsed.from?.value).toEqual([{ name: 'Simple Ticketing', address: 'no-reply@localhost' }]);
      expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.text : '').toBe('reader@example.com');
      expect(parsed.text).toContain('Hello file');
      expect(parsed.headers.get('x-test-note')).toBe('file');
      expect(api.logs).toContainEqual(
        expect.objectContaining({ to: 'reader@example.com', subject: 'Note file', file }),
      );
    } finally {
      await api.stop();
    }
  });
});

describe('a server killed with messages pending', () => {
  test('sends them after its restart (SIGKILL, then a new process)', async () => {
    const catcher = await MailCatcher.start();
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-outbox-kill-'));
    try {
      const env = { SMTP_URL: catcher.url };
      const first = await ChildServer.start({ dataDir, env });
      await first.adminAndProject();
      first.kill('SIGKILL');
      await first.exitWithin(5000);

      // What the killed process left: one message never tried, one it had claimed when it died.
      const now = Date.now();
      const insert = (to: string, claimedUntil: number | null) =>
        sqlBeside(
          dataDir,
          `INSERT INTO "outbox_message" ("channel", "recipient", "recipientUserId", "template", "params",
            "subject", "state", "attempts", "createdAt", "nextAttemptAt", "claimedUntil")
           VALUES ('email', ?, NULL, 'email-changed', ?, NULL, 'PENDING', 0, ?, ?, ?)`,
          to,
          JSON.stringify({ username: 'keeper', oldEmail: to, newEmail: 'new@example.com', changedAt: now }),
          now,
          now,
          claimedUntil,
        );
      await insert('never-tried@example.com', null);
      await insert('was-claimed@example.com', now - 1);

      const second = await ChildServer.start({ dataDir, env });
      try {
        await catcher.waitFor((m) => m.to.includes('never-tried@example.com'), 10_000);
        await catcher.waitFor((m) => m.to.includes('was-claimed@example.com'), 10_000);
      } finally {
        await second.stop();
      }
      const { rows: states } = await sqlBeside(
        dataDir,
        `SELECT "recipient", "state", "attempts" FROM "outbox_message"`,
      );
      expect(states).toEqual(
        expect.arrayContaining([
          { recipient: 'never-tried@example.com', state: 'SENT', attempts: 1 },
          { recipient: 'was-claimed@example.com', state: 'SENT', attempts: 1 },
        ]),
      );
      expect(catcher.to('never-tried@example.com')).toHaveLength(1);
    } finally {
      await catcher.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('event consumers', () => {
  test('a failing consumer is logged and handed the same events again after a pause on the service clock; the others and the requests go on', async () => {
    const clock = new ManualClock(Date.parse('2026-03-02T09:00:00Z'));
    const api = await TestApi.start({}, { captureLogs: true, clock });
    try {
      let failuresLeft = 1;
      const flakySeen: number[] = [];
      const steadySeen: number[] = [];
      const flaky: EventConsumer = {
        name: 'test-flaky',
        async handle(_manager, events) {
          if (failuresLeft-- > 0) throw new Error('the consumer broke');
          flakySeen.push(...events.map((event) => event.id));
        },
      };
      const steady: EventConsumer = {
        name: 'test-steady',
        async handle(_manager, events) {
          steadySeen.push(...events.map((event) => event.id));
        },
      };
      api.server.services.eventConsumers.push(flaky, steady);
      await api.server.eventConsumers.runOnce();

      const { admin } = await api.registerAdminAndAgent();
      const ticketId = await api.createTicket(admin, await api.createProject(admin));
      await api.server.eventConsumers.runOnce();
      expect(failuresLeft).toBe(0);
      expect(flakySeen).toEqual([]);
      clock.advance(4999); // its first pause is 5 s, on the service's clock
      await api.server.eventConsumers.runOnce();
      expect(flakySeen).toEqual([]);
      clock.advance(1);
      await api.server.eventConsumers.runOnce();

      const events = await api.server.services.database.manager.find(DomainEvent, { order: { id: 'ASC' } });
      expect(events.map((event) => event.ticketId)).toEqual([Number(ticketId)]);
      expect(flakySeen).toEqual([events[0].id]);
      expect(steadySeen).toEqual([events[0].id]);
      expect(api.logs).toContainEqual(
        expect.objectContaining({
          consumer: 'test-flaky',
          msg: 'event consumer failed; its events will be handled again',
        }),
      );
      const cursors = await api.server.services.database.manager.find(EventConsumerCursor);
      expect(cursors).toEqual(
        expect.arrayContaining([
          { name: 'test-flaky', lastEventId: events[0].id },
          { name: 'test-steady', lastEventId: events[0].id },
        ]),
      );
    } finally {
      await api.stop();
    }
  });
});
