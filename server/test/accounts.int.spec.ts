import { throttleKey } from '../src/auth/login-throttle';
import { ManualClock } from '../src/clock';
import { MailCatcher, type CaughtMail } from './support/mail-catcher';
import { ME, UPDATE_ME } from './support/operations';
import { TestApi, type TestUser, errorCodes, type GraphQLResponse } from './support/test-server';

const HOUR_MS = 3_600_000;
const PUBLIC_URL = 'http://tickets.test:8080';

const VERIFY_EMAIL = `mutation ($token: String!) { verifyEmail(token: $token) { id emailVerified } }`;
const RESEND = `mutation { resendVerificationEmail }`;
const REQUEST_RESET = `mutation ($email: String!) { requestPasswordReset(email: $email) }`;
const RESET = `mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) }`;
const MY_ACCOUNT = `{ me { id email emailVerified notifyNewTickets } }`;
/** Any field that needs a signed-in user. */
const NEEDS_SESSION = `{ tickets(first: 1) { totalCount } }`;

/**
 * The service's clock, moved with the system time the rate limits read (rate-limiter-flexible's, in
 * this process), so that an hour on one is an hour on the other.
 */
class ClockWithLimits extends ManualClock {
  private shift = 0;
  private readonly realNow = Date.now.bind(Date);

  followedByLimits(): void {
    jest.spyOn(Date, 'now').mockImplementation(() => this.realNow() + this.shift);
  }

  override advance(ms: number): void {
    super.advance(ms);
    this.shift += ms;
  }
}

let api: TestApi;
let mail: MailCatcher;
let clock: ClockWithLimits;
/** The first account: ADMIN. */
let admin: TestUser;

beforeAll(async () => {
  mail = await MailCatcher.start();
  clock = new ClockWithLimits(Date.UTC(2026, 3, 1, 8, 0));
  clock.followedByLimits();
  // Sessions read the same clock: they outlive this file's jumps (48 h links, hours of reset limits).
  api = await TestApi.start(
    { smtpUrl: mail.url, publicUrl: PUBLIC_URL, tokenTtlSeconds: 30 * 24 * 3600 },
    { clock, captureLogs: true },
  );
  admin = await api.register('admin');
});

afterAll(async () => {
  await api?.stop();
  await mail?.stop();
  jest.restoreAllMocks();
});

const invalidFields = (result: GraphQLResponse) =>
  (result.errors?.[0]?.extensions?.invalidFields ?? []) as { field: string; rule: string }[];

/** Mails a test has already read: mailTo gives the next one. */
const seen = new Set<CaughtMail>();

/** The next mail to that address whose subject starts so (after the ones already read). */
async function mailTo(address: string, subject: string): Promise<CaughtMail> {
  const found = await mail.waitFor(
    (m) => !seen.has(m) && m.to.includes(address.toLowerCase()) && m.subject.startsWith(subject),
  );
  seen.add(found);
  return found;
}

/** Waits until the outbox has nothing left to send (no message waiting, none in flight). */
async function outboxIdle(): Promise<void> {
  const pending = async () =>
    Number(
      (
        await api.server.services.database.dataSource.query(
          `SELECT COUNT(*) AS n FROM "outbox_message" WHERE "state" = 'PENDING'`,
        )
      )[0].n,
    );
  for (let tries = 0; (await pending()) > 0; tries += 1) {
    if (tries > 100) {
      const stuck = await api.sql(
        `SELECT "id", "template", "attempts", "lastError", "nextAttemptAt", "claimedUntil" FROM "outbox_message" WHERE "state" = 'PENDING'`,
      );
      throw new Error(
        `the outbox did not settle (clock ${clock.now().toISOString()}): ${JSON.stringify(stuck)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the outbox has nothing left to send, then counts every mail received so far as read. */
async function outboxSettled(): Promise<void> {
  await outboxIdle();
  for (const received of mail.received) seen.add(received);
}

/**
 * Moves the clocks on once no mail is in flight: nodemailer times a connection's set-up with Date.now,
 * so a jump of hours in the middle of a send would cut it as a greeting timeout (seen on Node.js 26 in CI),
 * and the retry, a minute later on the manual clock, would never come.
 */
async function later(ms: number): Promise<void> {
  await outboxIdle();
  clock.advance(ms);
}

/** The token of the link to PUBLIC_URL/<page> in a mail, checked in both its text and HTML parts. */
function tokenOf(message: CaughtMail, page: 'verify-email' | 'reset-password'): string {
  const pattern = new RegExp(`${PUBLIC_URL.replace(/[.:/]/g, '\\$&')}/${page}\\?token=([A-Za-z0-9_-]+)`);
  const fromText = pattern.exec(message.text)?.[1];
  expect(fromText).toBeDefined();
  expect(message.html).toContain(`href="${PUBLIC_URL}/${page}?token=${fromText}"`);
  return fromText!;
}

async function registered(prefix: string): Promise<{ user: TestUser; verifyToken: string }> {
  const user = await api.register(prefix);
  return { user, verifyToken: tokenOf(await mailTo(user.email, 'Confirm your email'), 'verify-email') };
}

const myAccount = async (user: TestUser) =>
  (await api.ok<{ me: { email: string; emailVerified: boolean | null } }>(MY_ACCOUNT, {}, user.token)).me;

describe('address verification', () => {
  test('registration mails a link that verifies the address, anonymously, once', async () => {
    const { user, verifyToken } = await registered('fresh');
    expect((await myAccount(user)).emailVerified).toBe(false);

    // No session: the link may open in another browser.
    const verified = await api.gql(VERIFY_EMAIL, { token: verifyToken });
    expect(verified.errors).toBeUndefined();
    expect(verified.data?.verifyEmail.id).toBe(user.id);
    expect((await myAccount(user)).emailVerified).toBe(true);

    const before = await api.snapshot();
    const reused = await api.gql(VERIFY_EMAIL, { token: verifyToken });
    expect(errorCodes(reused)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(reused)).toEqual([expect.objectContaining({ field: 'token', rule: 'invalid' })]);
    expect(await api.snapshot()).toEqual(before);

    // Only the secret's hash is stored, and the sent message keeps no copy of it.
    await outboxSettled();
    for (const table of ['user_token', 'outbox_message']) {
      const rows = await api.server.services.database.dataSource.query(`SELECT * FROM "${table}"`);
      expect(JSON.stringify(rows)).not.toContain(verifyToken);
    }
  });

  test('the mail is in the user’s language and the link is refused from 48 hours on, with the same answer', async () => {
    const { user, verifyToken } = await registered('slow');
    const unknown = await api.gql(VERIFY_EMAIL, { token: 'A'.repeat(43) });
    await later(48 * HOUR_MS);
    const expired = await api.gql(VERIFY_EMAIL, { token: verifyToken });
    expect(errorCodes(expired)).toEqual(['BAD_USER_INPUT']);
    expect(expired.errors![0].message).toBe(unknown.errors![0].message);
    expect((await myAccount(user)).emailVerified).toBe(false);

    await api.ok(UPDATE_ME, { input: { locale: 'FR' } }, user.token);
    await api.ok(RESEND, {}, user.token);
    const french = await mailTo(user.email, 'Confirmez votre adresse');
    expect(french.text).toContain('48 heures');
    await api.ok(VERIFY_EMAIL, { token: tokenOf(french, 'verify-email') });
    expect((await myAccount(user)).emailVerified).toBe(true);
  });

  test('resendVerificationEmail: a new link ends the earlier ones; 3 per hour; refused once verified', async () => {
    const { user, verifyToken } = await registered('resender');
    expect(errorCodes(await api.gql(RESEND))).toEqual(['UNAUTHENTICATED']);
    expect(await api.ok(RESEND, {}, user.token)).toEqual({ resendVerificationEmail: true });
    const second = tokenOf(await mailTo(user.email, 'Confirm your email'), 'verify-email');
    expect(errorCodes(await api.gql(VERIFY_EMAIL, { token: verifyToken }))).toEqual(['BAD_USER_INPUT']);

    await api.ok(RESEND, {}, user.token);
    await api.ok(RESEND, {}, user.token);
    const before = await api.snapshot();
    const limited = await api.gql(RESEND, {}, { token: user.token });
    expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
    expect(limited.errors![0].extensions?.retryAfterSeconds).toBeGreaterThan(3000);
    expect(await api.snapshot()).toEqual(before);
    expect(errorCodes(await api.gql(VERIFY_EMAIL, { token: second }))).toEqual(['BAD_USER_INPUT']);

    await later(HOUR_MS);
    await outboxSettled();
    await api.ok(RESEND, {}, user.token);
    await api.ok(VERIFY_EMAIL, {
      token: tokenOf(await mailTo(user.email, 'Confirm your email'), 'verify-email'),
    });
    const verified = await api.gql(RESEND, {}, { token: user.token });
    expect(invalidFields(verified)).toEqual([expect.objectContaining({ rule: 'invalid' })]);
  });
});

describe('email change', () => {
  test('needs the current password: missing or wrong is BAD_USER_INPUT, changes nothing, and a wrong one counts as a failed login', async () => {
    const { user } = await registered('mover');
    const newEmail = 'mover.elsewhere@example.com';
    const before = await api.snapshot();
    const missing = await api.gql(UPDATE_ME, { input: { email: newEmail } }, { token: user.token });
    expect(invalidFields(missing)).toEqual([
      expect.objectContaining({ field: 'currentPassword', rule: 'required' }),
    ]);
    const wrong = await api.gql(
      UPDATE_ME,
      { input: { email: newEmail, currentPassword: 'not my password at all' } },
      { token: user.token },
    );
    expect(invalidFields(wrong)).toEqual([
      expect.objectContaining({ field: 'currentPassword', rule: 'wrongPassword' }),
    ]);
    expect(await api.snapshot()).toEqual(before);
    expect((await myAccount(user)).email).toBe(user.email);
    // It was one failure on the username: 9 more lock the login.
    for (let guess = 0; guess < 9; guess += 1) {
      await api.server.services.loginThrottle.attempt(throttleKey(user.username), async () => false);
    }
    expect(errorCodes(await api.login(user.username, user.password))).toEqual(['RATE_LIMITED']);
  });

  test('mails a link to the new address and a notice to the old one; unverified until the link is followed', async () => {
    const { user, verifyToken } = await registered('changer');
    await api.ok(VERIFY_EMAIL, { token: verifyToken });
    const newEmail = 'changer.new@example.org';
    await api.ok(UPDATE_ME, { input: { email: newEmail, currentPassword: user.password } }, user.token);
    expect(await myAccount(user)).toMatchObject({ email: newEmail, emailVerified: false });

    const notice = await mailTo(user.email, 'Your email address was changed');
    expect(notice.text).toContain(user.email);
    expect(notice.text).toContain('ch…@example.org');
    expect(notice.text).toMatch(/If this wasn’t you/);
    expect(notice.text).not.toMatch(/token=/);

    const link = tokenOf(await mailTo(newEmail, 'Confirm your email'), 'verify-email');
    await api.ok(VERIFY_EMAIL, { token: link });
    expect(await myAccount(user)).toMatchObject({ email: newEmail, emailVerified: true });
  });
});

describe('email change limits', () => {
  const sentTo = async (address: string, subject: string) =>
    Number(
      (
        await api.sql(`SELECT COUNT(*) AS n FROM "outbox_message" WHERE "recipient" = ? AND "subject" = ?`, [
          address,
          subject,
        ])
      )[0].n,
    );

  test('an unverified old address is not told of the change (it was never shown to be the user’s)', async () => {
    const { user } = await registered('unproven');
    const newEmail = 'unproven.new@example.org';
    await api.ok(UPDATE_ME, { input: { email: newEmail, currentPassword: user.password } }, user.token);
    expect(await sentTo(newEmail, 'Confirm your email address')).toBe(1);
    expect(await sentTo(user.email, 'Your email address was changed')).toBe(0);
  });

  test('5 email changes per user per day, back and forth included; then RATE_LIMITED, changing nothing', async () => {
    const { user, verifyToken } = await registered('bouncer');
    await api.ok(VERIFY_EMAIL, { token: verifyToken });
    const victim = 'victim@example.net';
    for (let change = 0; change < 5; change += 1) {
      const email = change % 2 === 0 ? victim : user.email;
      await api.ok(UPDATE_ME, { input: { email, currentPassword: user.password } }, user.token);
    }
    await outboxSettled();
    const before = await api.snapshot();
    const limited = await api.gql(
      UPDATE_ME,
      { input: { email: user.email, currentPassword: user.password } },
      { token: user.token },
    );
    expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
    expect(limited.errors![0].extensions?.retryAfterSeconds).toBeGreaterThan(23 * 3600);
    expect(await api.snapshot()).toEqual(before);
    expect((await myAccount(user)).email).toBe(victim);
    // Other changes still pass; the next day, email changes do too.
    await api.ok(UPDATE_ME, { input: { locale: 'FR' } }, user.token);
    await later(24 * HOUR_MS);
    await api.ok(UPDATE_ME, { input: { email: user.email, currentPassword: user.password } }, user.token);
  });
});

describe('password reset', () => {
  // Each test starts with fresh per-address and per-client allowances.
  beforeEach(() => later(HOUR_MS));

  test('known and unknown addresses both answer true; only the known one gets a link', async () => {
    const { user } = await registered('forgetful');
    const unknown = await api.gql(REQUEST_RESET, { email: 'nobody.here@example.com' });
    const known = await api.gql(REQUEST_RESET, { email: user.email.toUpperCase() });
    expect(unknown).toMatchObject({ status: 200, data: { requestPasswordReset: true } });
    expect(known).toMatchObject({ status: 200, data: { requestPasswordReset: true } });
    expect(unknown.errors).toBeUndefined();
    const link = await mailTo(user.email, 'Reset your password');
    expect(link.text).toContain('1 hour');
    tokenOf(link, 'reset-password');
    expect(mail.received.some((m) => m.to.includes('nobody.here@example.com'))).toBe(false);
  });

  test('a known and an unknown address run the same SQL during the request: the look-up comes after the answer', async () => {
    const { user } = await registered('timed');
    const requestSql = async (email: string) => {
      await api.ok(REQUEST_RESET, { email });
      return api.requestLogs().at(-1)!.sql as number;
    };
    const unknown = await requestSql('nobody.at.all@example.com');
    const known = await requestSql(user.email);
    expect(known).toBe(unknown);
    await mailTo(user.email, 'Reset your password');
  });

  test('the link sets the password once, ends every session and verifies the address', async () => {
    const { user } = await registered('resetter');
    const otherSession = (await api.login(user.username, user.password)).data!.login.token;
    await api.ok(REQUEST_RESET, { email: user.email });
    const token = tokenOf(await mailTo(user.email, 'Reset your password'), 'reset-password');

    const weak = await api.gql(RESET, { input: { token, newPassword: user.username.repeat(2) } });
    expect(invalidFields(weak)).toEqual([
      expect.objectContaining({ field: 'newPassword', rule: 'weakPassword' }),
    ]);

    const newPassword = 'velvet harbor counts seagulls';
    expect(await api.ok(RESET, { input: { token, newPassword } })).toEqual({ resetPassword: true });
    for (const oldToken of [user.token, otherSession]) {
      expect(errorCodes(await api.gql(NEEDS_SESSION, {}, { token: oldToken }))).toEqual(['UNAUTHENTICATED']);
    }
    expect(errorCodes(await api.login(user.username, user.password))).toEqual(['BAD_USER_INPUT']);
    const session = await api.login(user.username, newPassword);
    expect(session.errors).toBeUndefined();
    const me = await api.ok<{ me: { emailVerified: boolean } }>(MY_ACCOUNT, {}, session.data!.login.token);
    expect(me.me.emailVerified).toBe(true);

    const before = await api.snapshot();
    const again = await api.gql(RESET, { input: { token, newPassword: 'another quiet harbor song' } });
    expect(invalidFields(again)).toEqual([expect.objectContaining({ field: 'token', rule: 'invalid' })]);
    expect(await api.snapshot()).toEqual(before);
  });

  test('a reset ends the login locks of the username and of the address', async () => {
    const { user } = await registered('locked');
    for (const login of [user.username, user.email]) {
      // Ten wrong passwords through the throttle (each real one costs a bcrypt comparison).
      for (let guess = 0; guess < 10; guess += 1) {
        await api.server.services.loginThrottle.attempt(throttleKey(login), async () => false);
      }
      expect(errorCodes(await api.login(login, user.password))).toEqual(['RATE_LIMITED']);
    }
    await api.ok(REQUEST_RESET, { email: user.email });
    const token = tokenOf(await mailTo(user.email, 'Reset your password'), 'reset-password');
    const newPassword = 'velvet harbor counts seagulls';
    await api.ok(RESET, { input: { token, newPassword } });
    for (const login of [user.username, user.email]) {
      expect((await api.login(login, newPassword)).errors).toBeUndefined();
    }
  });

  test('the link is refused from 1 hour on', async () => {
    const { user } = await registered('late');
    await api.ok(REQUEST_RESET, { email: user.email });
    const token = tokenOf(await mailTo(user.email, 'Reset your password'), 'reset-password');
    await later(HOUR_MS);
    const before = await api.snapshot();
    const expired = await api.gql(RESET, { input: { token, newPassword: 'velvet harbor counts seagulls' } });
    expect(invalidFields(expired)).toEqual([expect.objectContaining({ field: 'token', rule: 'invalid' })]);
    expect(await api.snapshot()).toEqual(before);
    expect((await api.login(user.username, user.password)).errors).toBeUndefined();
  });

  test('3 requests per address and 10 per client per hour, known or not: then RATE_LIMITED', async () => {
    const { user } = await registered('hammered');
    for (const email of [user.email, 'ghost@example.com']) {
      for (let request = 0; request < 3; request += 1) await api.ok(REQUEST_RESET, { email });
      const limited = await api.gql(REQUEST_RESET, { email });
      expect(errorCodes(limited)).toEqual(['RATE_LIMITED']);
      expect(limited.errors![0].extensions?.retryAfterSeconds).toBeGreaterThan(3000);
    }
    await later(HOUR_MS);
    for (let request = 0; request < 10; request += 1) {
      await api.ok(REQUEST_RESET, { email: `spray${request}@example.com` });
    }
    await api.server.services.accounts.settled();
    const before = await api.snapshot();
    expect(errorCodes(await api.gql(REQUEST_RESET, { email: user.email }))).toEqual(['RATE_LIMITED']);
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('who sees emailVerified and notifyNewTickets', () => {
  const PEOPLE = `{ users { id emailVerified notifyNewTickets } }`;
  const AUTHOR = `query ($id: ID!) { ticket(id: $id) { author { id emailVerified notifyNewTickets } } }`;

  test('the user themself and admins; anyone else gets null; notifyNewTickets is null for a USER', async () => {
    const agent = (await registered('helper')).user;
    const reporter = (await registered('reporter')).user;
    await api.setRole(admin, agent, 'AGENT');

    const listed = await api.ok<{
      users: { id: string; emailVerified: boolean; notifyNewTickets: boolean }[];
    }>(PEOPLE, {}, admin.token);
    expect(listed.users.find((u) => u.id === agent.id)).toEqual({
      id: agent.id,
      emailVerified: false,
      notifyNewTickets: true,
    });
    expect(listed.users.find((u) => u.id === reporter.id)?.notifyNewTickets).toBeNull();

    const projectId = await api.createProject(admin);
    const ticketId = await api.createTicket(reporter, projectId);
    const authorSeenBy = async (viewer: TestUser) =>
      (await api.ok<{ ticket: { author: unknown } }>(AUTHOR, { id: ticketId }, viewer.token)).ticket.author;
    expect(await authorSeenBy(agent)).toEqual({
      id: reporter.id,
      emailVerified: null,
      notifyNewTickets: null,
    });
    expect(await authorSeenBy(reporter)).toEqual({
      id: reporter.id,
      emailVerified: false,
      notifyNewTickets: null,
    });
    expect(await authorSeenBy(admin)).toEqual({
      id: reporter.id,
      emailVerified: false,
      notifyNewTickets: null,
    });

    const agentTicket = await api.createTicket(agent, projectId);
    const agentSeenBy = async (viewer: TestUser) =>
      (await api.ok<{ ticket: { author: unknown } }>(AUTHOR, { id: agentTicket }, viewer.token)).ticket
        .author;
    expect(await agentSeenBy(agent)).toEqual({ id: agent.id, emailVerified: false, notifyNewTickets: true });
    const otherAgent = (await registered('colleague')).user;
    await api.setRole(admin, otherAgent, 'AGENT');
    expect(await agentSeenBy(otherAgent)).toEqual({
      id: agent.id,
      emailVerified: null,
      notifyNewTickets: null,
    });
  });

  test('staff set notifyNewTickets; a USER setting it is BAD_USER_INPUT notAllowed, changing nothing', async () => {
    const agent = (await registered('watcher')).user;
    await api.setRole(admin, agent, 'AGENT');
    const off = await api.ok<{ updateMe: { notifyNewTickets: boolean } }>(
      'mutation ($input: UpdateMeInput!) { updateMe(input: $input) { notifyNewTickets } }',
      { input: { notifyNewTickets: false } },
      agent.token,
    );
    expect(off.updateMe.notifyNewTickets).toBe(false);

    const reporter = (await registered('nosy')).user;
    const before = await api.snapshot();
    const refused = await api.gql(
      UPDATE_ME,
      { input: { notifyNewTickets: true, locale: 'FR' } },
      { token: reporter.token },
    );
    expect(invalidFields(refused)).toEqual([
      expect.objectContaining({ field: 'notifyNewTickets', rule: 'notAllowed' }),
    ]);
    expect(await api.snapshot()).toEqual(before);
    expect((await api.ok<{ me: { locale: string } }>(ME, {}, reporter.token)).me.locale).toBe('EN');
  });
});
