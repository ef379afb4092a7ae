import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { UnsubscribeTokens } from '../notifications/unsubscribe-token';
import { Outbox } from '../outbox/outbox';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { LOGIN_FAILURE_LIMIT, LoginThrottle, throttleKey } from '../auth/login-throttle';
import { rateLimitsOf } from '../limits/rate-limits-of';
import { Locale } from '../users/role';
import { User } from '../users/user.entity';
import { UserService } from '../users/user.service';
import { AccountTemplate } from './account-messages';
import { hashTokenSecret, isWellFormedSecret, newTokenSecret } from './account-tokens';
import { AccountsService } from './accounts.service';
import { TokenPurpose, UserToken } from './user-token.entity';

const HOUR_MS = 3_600_000;
const PASSWORD = 'purple elephants dance';

/**
 * The service's clock, moved with the system time the rate limits read (rate-limiter-flexible's), so
 * that an hour on one is an hour on the other.
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

let dataDir: string;
let database: Database;
let clock: ClockWithLimits;
let accounts: AccountsService;
let outbox: Outbox;
let users: UserService;
let counter = 0;

const failureOf = async (work: Promise<unknown>) => {
  try {
    await work;
    return 'OK';
  } catch (error) {
    const extensions = (error as { extensions?: Record<string, any> }).extensions ?? {};
    return [
      extensions.code,
      ...(extensions.invalidFields ?? []).map((f: any) => `${f.field}:${f.rule}`),
    ].join(' ');
  }
};

/** The secret of the newest message of that template to that address (what the email carries). */
async function secretSentTo(recipient: string, template: AccountTemplate): Promise<string> {
  await accounts.settled();
  const message = await database.manager.findOneOrFail(OutboxMessage, {
    where: { recipient, template },
    order: { id: 'DESC' },
  });
  // The outbox keeps it sealed; the worker opens it for the mail.
  return outbox.secrets.open(message.params.secret)!;
}

async function register(): Promise<User> {
  counter += 1;
  return users.register({
    username: `person${counter}`,
    email: `person${counter}@example.com`,
    password: PASSWORD,
  });
}

/** A reset look-up that failed after its answer fails the test that made it (see afterEach). */
const lookUpErrors: unknown[] = [];
const reportError = (error: unknown) => void lookUpErrors.push(error);
const wrong = () => Promise.resolve(false);
const right = () => Promise.resolve(true);

/** Answers at once (limits refuse by throwing); the link follows, see settled(). */
const requestReset = async (email: string, client: string) => accounts.requestPasswordReset(email, client);

const reload = (user: User) => database.manager.findOneByOrFail(User, { id: user.id });

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'accounts-service-'));
  database = await openDatabase({ databaseUrl: '', dataDir });
  clock = new ClockWithLimits(Date.UTC(2026, 0, 10, 9, 0));
  clock.followedByLimits();
  outbox = new Outbox(clock);
  const loginThrottle = new LoginThrottle(database);
  accounts = new AccountsService(database, clock, outbox, loginThrottle, reportError);
  const unsubscribeTokens = new UnsubscribeTokens('a-token-secret-of-at-least-32-characters', database);
  users = new UserService(database, loginThrottle, clock, accounts, unsubscribeTokens);
});

afterEach(() => expect(lookUpErrors.splice(0)).toEqual([]));

afterAll(async () => {
  jest.restoreAllMocks();
  await rateLimitsOf(database).close();
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('link secrets', () => {
  test('are 256 random bits, URL-safe; only their SHA-256 (hex) is kept', () => {
    const secret = newTokenSecret();
    expect(isWellFormedSecret(secret)).toBe(true);
    expect(newTokenSecret()).not.toBe(secret);
    expect(hashTokenSecret('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(isWellFormedSecret(`${secret}=`)).toBe(false);
  });

  test('registration stores the hash, never the secret, and mails the secret to the address', async () => {
    const user = await register();
    const secret = await secretSentTo(user.email, AccountTemplate.VERIFY_EMAIL);
    const [token] = await database.manager.findBy(UserToken, { userId: user.id });
    expect(token).toMatchObject({
      purpose: TokenPurpose.VERIFY_EMAIL,
      tokenHash: hashTokenSecret(secret),
      email: user.email,
      usedAt: null,
    });
    expect(token.expiresAt.getTime() - token.createdAt.getTime()).toBe(48 * HOUR_MS);
    expect(token.createdAt.getTime()).toBe(clock.now().getTime());
    expect(JSON.stringify(token)).not.toContain(secret);
  });
});

describe('verifyEmail', () => {
  test('marks the address verified once; the same link is then refused', async () => {
    const user = await register();
    expect(user.emailVerified).toBe(false);
    const secret = await secretSentTo(user.email, AccountTemplate.VERIFY_EMAIL);
    expect((await accounts.verifyEmail(secret)).emailVerified).toBe(true);
    expect((await reload(user)).emailVerified).toBe(true);
    expect(await failureOf(accounts.verifyEmail(secret))).toBe('BAD_USER_INPUT token:invalid');
  });

  test('works until 48 hours after it was sent, not at 48 hours', async () => {
    const early = await register();
    const late = await register();
    const earlySecret = await secretSentTo(early.email, AccountTemplate.VERIFY_EMAIL);
    const lateSecret = await secretSentTo(late.email, AccountTemplate.VERIFY_EMAIL);
    clock.advance(48 * HOUR_MS - 1);
    expect(await failureOf(accounts.verifyEmail(earlySecret))).toBe('OK');
    clock.advance(1);
    expect(await failureOf(accounts.verifyEmail(lateSecret))).toBe('BAD_USER_INPUT token:invalid');
    expect((await reload(late)).emailVerified).toBe(false);
  });

  test('refuses unknown and malformed tokens, and a reset link, with the same answer', async () => {
    const user = await register();
    await requestReset(user.email, 'client-verify');
    const resetSecret = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    for (const token of [newTokenSecret(), 'short', '', resetSecret]) {
      expect(await failureOf(accounts.verifyEmail(token))).toBe('BAD_USER_INPUT token:invalid');
    }
  });

  test('a link for an address the user no longer has is refused; the new address is unverified', async () => {
    const user = await register();
    const oldSecret = await secretSentTo(user.email, AccountTemplate.VERIFY_EMAIL);
    const { user: changed } = await users.updateMe(user, {
      email: `moved${counter}@example.com`,
      currentPassword: PASSWORD,
    });
    expect(changed.emailVerified).toBe(false);
    expect(await failureOf(accounts.verifyEmail(oldSecret))).toBe('BAD_USER_INPUT token:invalid');
    const noticesTo = (recipient: string) =>
      database.manager.findBy(OutboxMessage, { recipient, template: AccountTemplate.EMAIL_CHANGED });
    // The old address was never verified: it gets no notice.
    expect(await noticesTo(user.email)).toEqual([]);
    const newSecret = await secretSentTo(changed.email, AccountTemplate.VERIFY_EMAIL);
    expect((await accounts.verifyEmail(newSecret)).emailVerified).toBe(true);

    // A verified one does.
    const { user: again } = await users.updateMe(await reload(user), {
      email: `again${counter}@example.com`,
      currentPassword: PASSWORD,
    });
    const [notice] = await noticesTo(changed.email);
    expect(notice.params).toMatchObject({ oldEmail: changed.email, newEmail: again.email });
  });
});

describe('resendVerification', () => {
  test('sends a new link and ends the earlier ones; 3 per hour, then RATE_LIMITED until the hour is over', async () => {
    const user = await register();
    const first = await secretSentTo(user.email, AccountTemplate.VERIFY_EMAIL);
    for (let resend = 1; resend <= 3; resend += 1) {
      expect(await accounts.resendVerification(user)).toBe(true);
      clock.advance(60_000);
    }
    const refused = accounts.resendVerification(user);
    await expect(refused).rejects.toMatchObject({ extensions: { code: 'RATE_LIMITED' } });
    await refused.catch((error: { extensions: { retryAfterSeconds: number } }) =>
      expect(error.extensions.retryAfterSeconds).toBe(3600 - 180),
    );
    expect(await failureOf(accounts.verifyEmail(first))).toBe('BAD_USER_INPUT token:invalid');
    clock.advance(HOUR_MS - 180_000 + 1);
    expect(await accounts.resendVerification(user)).toBe(true);
    const latest = await secretSentTo(user.email, AccountTemplate.VERIFY_EMAIL);
    expect(await failureOf(accounts.verifyEmail(latest))).toBe('OK');
    expect(await failureOf(accounts.resendVerification(await reload(user)))).toBe(
      'BAD_USER_INPUT email:invalid',
    );
  });
});

describe('password reset', () => {
  test('a known and an unknown address both answer true; only the known one gets a link, valid 1 hour', async () => {
    const user = await register();
    const before = await database.manager.count(OutboxMessage);
    expect(await requestReset('nobody@example.com', 'client-a')).toBe(true);
    await accounts.settled();
    expect(await database.manager.count(OutboxMessage)).toBe(before);
    expect(await requestReset(`  ${user.email.toUpperCase()} `, 'client-a')).toBe(true);
    await accounts.settled();
    const token = await database.manager.findOneByOrFail(UserToken, {
      userId: user.id,
      purpose: TokenPurpose.RESET_PASSWORD,
    });
    expect(token.expiresAt.getTime() - token.createdAt.getTime()).toBe(HOUR_MS);
  });

  test('the outbox keeps the subject in the recipient’s language (what the admin outbox shows)', async () => {
    const user = await register();
    await database.manager.update(User, { id: user.id }, { locale: Locale.FR });
    await requestReset(user.email, 'client-fr');
    await accounts.resendVerification(await reload(user));
    await accounts.settled();
    const subjectOf = async (template: AccountTemplate) =>
      (
        await database.manager.findOneOrFail(OutboxMessage, {
          where: { recipient: user.email, template },
          order: { id: 'DESC' },
        })
      ).subject;
    expect(await subjectOf(AccountTemplate.PASSWORD_RESET)).toBe('Réinitialisez votre mot de passe');
    expect(await subjectOf(AccountTemplate.VERIFY_EMAIL)).toBe('Confirmez votre adresse e-mail');
  });

  test('sets the password, ends every session, uses up every reset link and verifies the address', async () => {
    const user = await register();
    await requestReset(user.email, 'client-b');
    const older = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    await requestReset(user.email, 'client-b');
    const newer = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    expect(await accounts.resetPassword(newer, 'amber lantern quietly folds')).toBe(true);
    const after = await reload(user);
    expect(after.sessionVersion).toBe(user.sessionVersion + 1);
    expect(after.passwordHash).not.toBe(user.passwordHash);
    expect(after.emailVerified).toBe(true);
    for (const secret of [newer, older]) {
      expect(await failureOf(accounts.resetPassword(secret, 'another fine long phrase'))).toBe(
        'BAD_USER_INPUT token:invalid',
      );
    }
  });

  test('a link is refused from 1 hour on; a weak password is refused without using the link', async () => {
    const user = await register();
    await requestReset(user.email, 'client-c');
    const secret = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    expect(await failureOf(accounts.resetPassword(secret, user.username.repeat(2)))).toBe(
      'BAD_USER_INPUT newPassword:weakPassword',
    );
    clock.advance(HOUR_MS - 1);
    expect(await failureOf(accounts.resetPassword(secret, 'copper kettle whistles softly'))).toBe('OK');
    await requestReset(user.email, 'client-c');
    const expired = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    clock.advance(HOUR_MS);
    expect(await failureOf(accounts.resetPassword(expired, 'copper kettle whistles again'))).toBe(
      'BAD_USER_INPUT token:invalid',
    );
  });

  test('an email change ends the reset links sent to the old address; the reset keeps it unverified then', async () => {
    const user = await register();
    await requestReset(user.email, 'client-d');
    const secret = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    await users.updateMe(user, { email: `elsewhere${counter}@example.com`, currentPassword: PASSWORD });
    expect(await failureOf(accounts.resetPassword(secret, 'copper kettle whistles softly'))).toBe(
      'BAD_USER_INPUT token:invalid',
    );
  });

  test('a password change through updateMe ends the reset links still pending', async () => {
    const user = await register();
    await requestReset(user.email, 'client-e');
    const secret = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    await users.updateMe(user, { newPassword: 'saffron meadow hums quietly', currentPassword: PASSWORD });
    expect(await failureOf(accounts.resetPassword(secret, 'copper kettle whistles softly'))).toBe(
      'BAD_USER_INPUT token:invalid',
    );
  });

  test('a reset ends the login locks of the username and of the address, not of other logins', async () => {
    const user = await register();
    const throttle = new LoginThrottle(database);
    const resets = new AccountsService(database, clock, outbox, throttle, reportError);
    const keys = [user.username, user.email.toUpperCase(), 'someone.else@example.com'].map(throttleKey);
    for (const key of keys) {
      for (let guess = 0; guess < LOGIN_FAILURE_LIMIT; guess += 1) await throttle.attempt(key, wrong);
      expect(await failureOf(throttle.attempt(key, right))).toBe('RATE_LIMITED');
    }
    await resets.requestPasswordReset(user.email, 'client-f');
    await resets.settled();
    const secret = await secretSentTo(user.email, AccountTemplate.PASSWORD_RESET);
    await resets.resetPassword(secret, 'copper kettle whistles softly');
    expect(await throttle.attempt(keys[0], right)).toBe(true);
    expect(await throttle.attempt(keys[1], right)).toBe(true);
    expect(await failureOf(throttle.attempt(keys[2], right))).toBe('RATE_LIMITED');
  });

  test('3 requests per address per hour and 10 per client, known and unknown addresses alike', async () => {
    clock.advance(2 * HOUR_MS);
    const user = await register();
    for (const email of [user.email, 'ghost@example.com']) {
      for (let request = 1; request <= 3; request += 1) {
        expect(await requestReset(email, `client-${email}`)).toBe(true);
      }
      expect(await failureOf(requestReset(email.toUpperCase(), 'another-client'))).toBe('RATE_LIMITED');
    }
    for (let request = 1; request <= 10; request += 1) {
      await requestReset(`someone${request}@example.com`, 'busy-client');
    }
    expect(await failureOf(requestReset('someone11@example.com', 'busy-client'))).toBe('RATE_LIMITED');
    clock.advance(HOUR_MS);
    expect(await requestReset(user.email, 'busy-client')).toBe(true);
  });
});
