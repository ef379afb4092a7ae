import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ChildServer } from './support/child-server';
import { MailCatcher } from './support/mail-catcher';
import { REGISTER, SET_ROLE, UPDATE_TICKET } from './support/operations';
import { sqlBeside } from './support/postgres-project';

/** The built service as a child process: what an operator runs, killed and started as they would. */
jest.setTimeout(30_000);

const VERIFY_EMAIL = `mutation ($token: String!) { verifyEmail(token: $token) { id } }`;
const PASSWORD = 'lighthouse keeper 1907';

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads the service's database beside it (SQLite in WAL: a reader never blocks the service). */
async function query<T>(dataDir: string, sql: string, ...params: unknown[]): Promise<T[]> {
  return (await sqlBeside<T>(dataDir, sql, ...params)).rows;
}

describe('a notification pending when the service is killed', () => {
  let catcher: MailCatcher;
  let dataDir: string;

  beforeAll(async () => {
    catcher = await MailCatcher.start();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-restart-'));
  });
  afterAll(async () => {
    await catcher.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('is sent exactly once after SIGKILL and a restart, the mail server down meanwhile', async () => {
    const env = { SMTP_URL: catcher.url };
    const first = await ChildServer.start({ dataDir, env });
    const { token: adminToken, projectId } = await first.adminAndProject();
    const register = async (username: string) => {
      const { register: made } = await first.ok(REGISTER, {
        input: { username, email: `${username}@example.com`, password: PASSWORD },
      });
      return { id: made.user.id as string, token: made.token as string, email: `${username}@example.com` };
    };
    const agent = await register('agent');
    const reporter = await register('reporter');
    // Verified addresses, through the links the service mailed.
    for (const email of ['keeper@example.com', agent.email, reporter.email]) {
      const confirm = await catcher.waitFor((m) => m.to.includes(email) && m.subject.startsWith('Confirm'));
      const token = /\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(confirm.text)![1];
      await first.ok(VERIFY_EMAIL, { token });
    }
    await first.ok(SET_ROLE, { id: agent.id, role: 'AGENT' }, adminToken);
    const { createTicket } = await first.ok(
      `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
      { input: { projectId, title: 'Lamp flickers', description: 'Every night.', category: 'BUG' } },
      reporter.token,
    );
    const ticketId = createTicket.id as string;
    await first.ok(UPDATE_TICKET, { id: ticketId, input: { assigneeId: agent.id } }, agent.token);

    await catcher.stop();
    await first.ok(UPDATE_TICKET, { id: ticketId, input: { comment: 'It still flickers' } }, reporter.token);
    const caughtUp = async () => {
      const [{ last }] = await query<{ last: number }>(dataDir, `SELECT MAX("id") AS last FROM "event"`);
      const cursor = await query<{ lastEventId: number }>(
        dataDir,
        `SELECT "lastEventId" FROM "event_consumer" WHERE "name" = 'email-notifications'`,
      );
      return cursor[0]?.lastEventId === last;
    };
    await until(caughtUp, 'the comment to be fanned out');
    first.kill('SIGKILL');
    await first.exitWithin(5000);

    // The 2-minute window of the message closed while the service was down.
    const { changes } = await sqlBeside(
      dataDir,
      `UPDATE "outbox_message" SET "nextAttemptAt" = ? WHERE "recipient" = ? AND "template" = 'ticket-activity'`,
      Date.now(),
      agent.email,
    );
    expect(changes).toBe(1);

    await catcher.start();
    const second = await ChildServer.start({ dataDir, env });
    try {
      const told = await catcher.waitFor((m) => m.to.includes(agent.email) && m.subject.startsWith('['));
      expect(told.subject).toBe(`[#${ticketId}] Lamp flickers`);
      expect(told.text).toContain('> It still flickers');
      await new Promise((resolve) => setTimeout(resolve, 1500)); // a second copy would come now
    } finally {
      await second.stop();
    }
    expect(catcher.to(agent.email).filter((m) => m.subject.startsWith('['))).toHaveLength(1);
    expect(
      await query(
        dataDir,
        `SELECT "state", "attempts" FROM "outbox_message" WHERE "recipient" = ?`,
        agent.email,
      ),
    ).toEqual(
      expect.arrayContaining([
        { state: 'SENT', attempts: 1 }, // the verification
        { state: 'SENT', attempts: 1 }, // the notification
      ]),
    );
  });
});

describe('a mail server that accepts connections and never answers', () => {
  test('does not hold a SIGTERM: the service exits within a supervisor’s 10 s, the message kept PENDING', async () => {
    const sockets = new Set<net.Socket>();
    const blackHole = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const { port } = blackHole.address() as net.AddressInfo;
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-hang-'));
    try {
      const child = await ChildServer.start({ dataDir, env: { SMTP_URL: `smtp://127.0.0.1:${port}` } });
      await child.adminAndProject(); // its verification mail is now waiting for a greeting
      await until(() => sockets.size > 0, 'the worker to connect');
      const started = Date.now();
      child.kill('SIGTERM');
      expect(await child.exitWithin(7500)).toEqual({ code: 0, signal: null });
      expect(Date.now() - started).toBeGreaterThanOrEqual(4000); // it did wait for the send, a while
      expect(await query(dataDir, `SELECT "state", "attempts" FROM "outbox_message"`)).toEqual([
        { state: 'PENDING', attempts: 0 },
      ]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => blackHole.close(resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
