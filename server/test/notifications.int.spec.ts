import { ManualClock } from '../src/clock';
import { ACTIVITY_WINDOW_MS } from '../src/notifications/email-notifier';
import { OutboxMessage, OutboxState } from '../src/outbox/outbox-message.entity';
import { UnsubscribeTokens } from '../src/notifications/unsubscribe-token';
import { MailCatcher, type CaughtMail } from './support/mail-catcher';
import { ME, UPDATE_ME } from './support/operations';
import { TestApi, type TestUser } from './support/test-server';

const PUBLIC_URL = 'http://tickets.test:8080';
const UPDATE_TICKET = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id status } }`;
const VERIFY_EMAIL = `mutation ($token: String!) { verifyEmail(token: $token) { id } }`;

let api: TestApi;
let mail: MailCatcher;
let clock: ManualClock;
let admin: TestUser;
let agent: TestUser;
let reporter: TestUser;
let projectId: string;

/** Mails already looked at: newMail gives only what came since. */
const seen = new Set<CaughtMail>();

/** Registers an account and follows the link of its verification mail (nothing else is sent before). */
async function verified(prefix: string): Promise<TestUser> {
  const user = await api.register(prefix);
  const confirm = await mail.waitFor((m) => m.to.includes(user.email) && m.subject.startsWith('Confirm'));
  seen.add(confirm);
  const token = /\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(confirm.text)![1];
  await api.ok(VERIFY_EMAIL, { token });
  return user;
}

/** Fans out the events, lets the 2-minute window close and sends everything due, as the worker would. */
async function deliver(): Promise<void> {
  await api.server.eventConsumers.runOnce();
  clock.advance(ACTIVITY_WINDOW_MS + 1000);
  while ((await api.server.delivery.runOnce()) > 0);
}

/** The messages to user since the last look. */
function newMail(user: TestUser): CaughtMail[] {
  const fresh = mail.to(user.email).filter((m) => !seen.has(m));
  for (const m of fresh) seen.add(m);
  return fresh;
}

const comment = (user: TestUser, id: string, input: Record<string, unknown>) =>
  api.ok(UPDATE_TICKET, { id, input }, user.token);

beforeAll(async () => {
  mail = await MailCatcher.start();
  clock = new ManualClock(Date.UTC(2026, 3, 1, 8, 0));
  api = await TestApi.start({ smtpUrl: mail.url, publicUrl: PUBLIC_URL }, { clock });
  admin = await verified('admin');
  agent = await verified('agent');
  await api.setRole(admin, agent, 'AGENT');
  reporter = await verified('reporter');
  projectId = await api.createProject(admin, 'Website');
  await deliver();
  for (const user of [admin, agent, reporter]) newMail(user);
});

afterAll(async () => {
  await api?.stop();
  await mail?.stop();
});

describe('email notifications over SMTP', () => {
  test('a new ticket goes to staff watching new tickets, not to its reporter, with subject, body and links', async () => {
    const id = await api.createTicket(reporter, projectId, {
      title: 'Search box ignores accents',
      description: 'Typing <é> finds nothing & more.',
    });
    await deliver();
    expect(newMail(reporter)).toEqual([]);
    const [toAgent, ...more] = newMail(agent);
    expect(more).toEqual([]);
    expect(newMail(admin)).toHaveLength(1);

    expect(toAgent.subject).toBe(`[#${id}] Search box ignores accents`);
    expect(toAgent.text).toContain(`${reporter.username} opened the ticket`);
    expect(toAgent.text).toContain('> Typing <é> finds nothing & more.');
    expect(toAgent.text).toContain(`Open the ticket: ${PUBLIC_URL}/tickets/${id}`);
    expect(toAgent.text).toContain('you asked to be told of new tickets');
    expect(toAgent.html).toContain('Typing &lt;é&gt; finds nothing &amp; more.');
    expect(toAgent.html).toContain(`href="${PUBLIC_URL}/tickets/${id}"`);

    const header = /^<(.+)\/api\/unsubscribe\/([^>]+)>$/.exec(toAgent.headers['list-unsubscribe']);
    expect(header?.[1]).toBe(PUBLIC_URL);
    // One-click (RFC 8058) needs an https link; this PUBLIC_URL is http.
    expect(toAgent.headers['list-unsubscribe-post']).toBeUndefined();
    expect(toAgent.text).toContain(`${PUBLIC_URL}/unsubscribe?token=${header![2]}`);
  });

  test('the reply loop: the reporter is told of the question, the assignee that the reporter answered', async () => {
    const id = await api.createTicket(reporter, projectId, { title: 'Export cut' });
    await comment(agent, id, { assigneeId: agent.id, status: 'WAITING', comment: 'Which browser?' });
    await deliver();
    newMail(admin); // the new ticket
    // Taken by agent within the window: the footer still says why the mail was queued.
    const [newTicket] = newMail(agent);
    expect(newTicket.text).toContain('you asked to be told of new tickets');
    expect(newTicket.text).not.toContain('assigned to you');
    const [question, ...more] = newMail(reporter);
    expect(more).toEqual([]);
    expect(question.text).toContain(`${agent.username} commented and changed the ticket`);
    expect(question.text).toContain('Status: Open → Waiting for your answer');
    expect(question.text).toContain('> Which browser?');

    await comment(reporter, id, { comment: 'Firefox 128' });
    await deliver();
    const [answer] = newMail(agent);
    expect(answer.text).toContain('Status: Waiting for reporter → Open');
    expect(answer.text).toContain('The reporter answered');
    expect(answer.text).toContain('> Firefox 128');
    expect(answer.text).toContain('this ticket is assigned to you');
    expect(newMail(admin)).toEqual([]); // someone holds the ticket: the other staff are not told
    expect(newMail(reporter)).toEqual([]);
  });

  test('an internal note reaches the assignee, never the reporter', async () => {
    const id = await api.createTicket(reporter, projectId, { title: 'Slow page' });
    await comment(admin, id, { assigneeId: agent.id });
    await deliver();
    for (const user of [admin, agent, reporter]) newMail(user);

    await comment(admin, id, { comment: 'Customer on the old plan', internal: true });
    await deliver();
    expect(newMail(reporter)).toEqual([]);
    const [note] = newMail(agent);
    expect(note.text).toContain(`${admin.username} added an internal note`);
    expect(note.text).toContain('Customer on the old plan');
    expect(mail.to(reporter.email).some((m) => m.raw.includes('old plan'))).toBe(false);
  });

  test('3 comments by one agent within 2 minutes make one message; a 4th after the window, a second', async () => {
    const id = await api.createTicket(reporter, projectId, { title: 'Burst' });
    await deliver();
    for (const user of [admin, agent]) newMail(user);

    for (const text of ['First look', 'Second look', 'Third look']) {
      await comment(agent, id, { comment: text });
      await api.server.eventConsumers.runOnce();
      clock.advance(30_000);
    }
    await deliver();
    const [burst, ...more] = newMail(reporter);
    expect(more).toEqual([]);
    expect(burst.text).toMatch(/First look[\s\S]*Second look[\s\S]*Third look/);
    expect(burst.text.match(/commented/g)).toHaveLength(3);

    await comment(agent, id, { comment: 'Fourth look' });
    await deliver();
    const [fourth, ...after] = newMail(reporter);
    expect(after).toEqual([]);
    expect(fourth.text).toContain('Fourth look');
    expect(fourth.text).not.toContain('Third look');
  });

  test('in the recipient’s language', async () => {
    const french = await verified('francais');
    await api.ok(UPDATE_ME, { input: { locale: 'FR' } }, french.token);
    const id = await api.createTicket(french, projectId, { title: 'Export coupé' });
    await comment(agent, id, { status: 'IN_PROGRESS', comment: 'Je regarde' });
    await deliver();
    for (const user of [admin, agent]) newMail(user);
    const [message] = newMail(french);
    expect(message.subject).toBe(`[#${id}] Export coupé`);
    expect(message.text).toContain(`${agent.username} a commenté et modifié le ticket`);
    expect(message.text).toContain('Statut\u00a0: Ouvert → En cours');
    expect(message.text).toContain(`Voir le ticket\u00a0: ${PUBLIC_URL}/tickets/${id}`);
    expect(message.html).toContain('<html lang="fr">');
  });

  test('a notification queued before an address change goes to the new address once it is verified', async () => {
    const mover = await verified('mover');
    const id = await api.createTicket(mover, projectId, { title: 'Moving house' });
    await deliver();
    for (const user of [admin, agent]) newMail(user);
    await comment(agent, id, { comment: 'Noted' });
    await api.server.eventConsumers.runOnce(); // queued for the old address, its window still open
    const newEmail = `moved-${mover.email}`;
    await api.ok(UPDATE_ME, { input: { email: newEmail, currentPassword: mover.password } }, mover.token);
    const confirm = await mail.waitFor((m) => m.to.includes(newEmail) && m.subject.startsWith('Confirm'));
    seen.add(confirm);
    const token = /\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(confirm.text)![1];
    await api.ok(VERIFY_EMAIL, { token });
    await deliver();
    const notified = mail.to(newEmail).filter((m) => m.subject === `[#${id}] Moving house`);
    expect(notified).toHaveLength(1);
    expect(notified[0].text).toContain('> Noted');
    expect(newMail(mover).filter((m) => m.subject.startsWith('['))).toEqual([]);
  });

  test('through an SMTP outage: the tries fail, and once the server is back the notification goes out once', async () => {
    const id = await api.createTicket(reporter, projectId, { title: 'Outage' });
    await deliver();
    for (const user of [admin, agent]) newMail(user);
    await mail.stop();
    await comment(agent, id, { comment: 'Fixed while the mail was down' });
    await deliver(); // its window closes; the first try fails
    clock.advance(60_000);
    await api.server.delivery.runOnce(); // the second, a minute later
    const queued = () =>
      api.server.services.database.manager.findOneByOrFail(OutboxMessage, {
        recipientUserId: Number(reporter.id),
        template: 'ticket-activity',
        subject: `[#${id}] Outage`,
      });
    expect(await queued()).toMatchObject({ state: OutboxState.PENDING, attempts: 2 });
    expect((await queued()).lastError).toMatch(/ECONNREFUSED/);
    expect(newMail(reporter)).toEqual([]);

    await mail.start();
    clock.advance(5 * 60_000);
    while ((await api.server.delivery.runOnce()) > 0);
    const [told, ...more] = newMail(reporter);
    expect(more).toEqual([]);
    expect(told.text).toContain('> Fixed while the mail was down');
    expect(await queued()).toMatchObject({ state: OutboxState.SENT, attempts: 3 });
  });

  test('unverified addresses and notifyByEmail=false get nothing', async () => {
    const unverified = await api.register('unverified');
    const quiet = await verified('quiet');
    await api.ok(UPDATE_ME, { input: { notifyByEmail: false } }, quiet.token);
    const first = await api.createTicket(unverified, projectId, { title: 'Unverified' });
    const second = await api.createTicket(quiet, projectId, { title: 'Quiet' });
    await comment(agent, first, { comment: 'Seen' });
    await comment(agent, second, { comment: 'Seen' });
    await deliver();
    for (const user of [admin, agent]) newMail(user);
    expect(newMail(unverified).filter((m) => m.subject.startsWith('['))).toEqual([]);
    expect(newMail(quiet)).toEqual([]);
  });

  test('one-click unsubscribe: GET only redirects, POST turns notifications off, and no more mail comes', async () => {
    const id = await api.createTicket(reporter, projectId, { title: 'Leaving' });
    await comment(agent, id, { comment: 'Hello' });
    await deliver();
    for (const user of [admin, agent]) newMail(user);
    const [message] = newMail(reporter);
    const oneClick = /^<(.+)>$/.exec(message.headers['list-unsubscribe'])![1];
    const token = oneClick.slice(`${PUBLIC_URL}/api/unsubscribe/`.length);
    const notifyByEmail = async () =>
      (await api.ok<{ me: { notifyByEmail: boolean } }>(ME, {}, reporter.token)).me.notifyByEmail;

    const scanned = await api.http(`/api/unsubscribe/${token}`, { redirect: 'manual' });
    expect(scanned.status).toBe(303);
    expect(scanned.headers.get('location')).toBe(`/unsubscribe?token=${token}`);
    expect(await notifyByEmail()).toBe(true);

    // Forged, and well signed but for another database that had a user with the same id.
    const elsewhere = new UnsubscribeTokens(api.jwtSecret, { instanceId: 'a-replaced-database' });
    for (const refused of [`${reporter.id}.${'A'.repeat(43)}`, elsewhere.issue(Number(reporter.id))]) {
      const answer = await api.http(`/api/unsubscribe/${refused}`, { method: 'POST' });
      expect(answer.status).toBe(400);
      expect(answer.json).toEqual({
        error: {
          code: 'BAD_USER_INPUT',
          message: expect.any(String),
          invalidFields: [{ field: 'token', rule: 'invalid', message: expect.any(String) }],
        },
      });
    }
    expect(await notifyByEmail()).toBe(true);

    // As a mail client does it (RFC 8058): no session, a form body.
    const clicked = await api.http(`/api/unsubscribe/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(clicked.status).toBe(200);
    expect(clicked.json).toEqual({ unsubscribed: true });
    expect(clicked.headers.get('cache-control')).toBe('no-store');
    expect(await notifyByEmail()).toBe(false);

    await comment(agent, id, { comment: 'Are you still there?' });
    await deliver();
    expect(newMail(reporter)).toEqual([]);
  });
});
