import { AsyncLocalStorage } from 'node:async_hooks';
import { type EntityManager, IsNull } from 'typeorm';
import { type LoginThrottle, throttleKey } from '../auth/login-throttle';
import { assertAcceptablePassword, hashPassword } from '../auth/password';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError } from '../errors';
import type { RateLimit } from '../limits/rate-limit';
import { rateLimitsOf } from '../limits/rate-limits-of';
import { Outbox } from '../outbox/outbox';
import type { AccountMail } from '../users/account-mail';
import { isDeactivated } from '../users/deactivation';
import { User } from '../users/user.entity';
import { normalizeKey } from '../users/user-key';
import {
  AccountTemplate,
  type EmailChangedParams,
  type PasswordResetParams,
  type VerifyEmailParams,
  accountSubject,
} from './account-messages';
import {
  TOKEN_VALIDITY_MS,
  hashTokenSecret,
  isTokenUsable,
  isWellFormedSecret,
  newTokenSecret,
} from './account-tokens';
import { TokenPurpose, UserToken } from './user-token.entity';

const HOUR_SECONDS = 3600;
/** Verification emails a signed-in user may ask for again, per hour (registration and email changes aside). */
export const RESENDS_PER_HOUR = 3;
/** Reset requests per typed address, known or not, per hour. */
export const RESETS_PER_EMAIL_PER_HOUR = 3;
/** Reset requests per client address, per hour. */
export const RESETS_PER_CLIENT_PER_HOUR = 10;
/** Longer than any address an account can have (254): counted on the client only. */
const MAX_EMAIL_LENGTH = 254;

const INVALID_TOKEN = 'This link is not valid: it may have expired or been used already. Ask for a new one.';
const invalidToken = () => BadInputError.field('token', 'invalid', INVALID_TOKEN);

/**
 * Accounts by email: address verification and password reset through single-use links, and the
 * messages an email change sends. Only a hash of each link's secret is stored; the secret itself is in
 * the outbox message until it is sent. Every mail is enqueued in the transaction of what causes it.
 */
export class AccountsService implements AccountMail {
  private readonly resends: RateLimit;
  private readonly resetsByEmail: RateLimit;
  private readonly resetsByClient: RateLimit;

  /** Reset requests answered whose look-up has not finished: settled() waits for them. */
  private readonly pendingResets = new Set<Promise<void>>();
  /** The async context of start-up: a look-up after the answer is no request's (not in its SQL count). */
  private readonly outsideRequests = AsyncLocalStorage.snapshot();

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    // The process's one login throttle: a reset unlocks the account's logins.
    private readonly loginThrottle: LoginThrottle,
    /** A reset look-up that failed after its request was answered. */
    private readonly reportError: (error: unknown, what: string) => void,
  ) {
    // In the database's rate limit store, like every limit: shared by every instance of the service.
    const limits = rateLimitsOf(database);
    this.resends = limits.limit({
      name: 'verification-resends',
      points: RESENDS_PER_HOUR,
      durationSeconds: HOUR_SECONDS,
      message:
        'Several verification emails were sent recently: check your inbox and spam folder, or try again later.',
    });
    this.resetsByEmail = limits.limit({
      name: 'reset-requests-by-email',
      points: RESETS_PER_EMAIL_PER_HOUR,
      durationSeconds: HOUR_SECONDS,
      message:
        'Several reset links were asked for this address recently. Check your inbox, or try again later.',
    });
    this.resetsByClient = limits.limit({
      name: 'reset-requests-by-client',
      points: RESETS_PER_CLIENT_PER_HOUR,
      durationSeconds: HOUR_SECONDS,
      message: 'Too many password reset requests from your address. Try again later.',
    });
  }

  /**
   * In the caller's transaction (registration, email change, resend): a new link to the user's current
   * address; earlier verification links of the user stop working.
   */
  async sendVerification(manager: EntityManager, user: User): Promise<void> {
    const now = this.clock.now();
    await this.useUpTokens(manager, user.id, TokenPurpose.VERIFY_EMAIL, now);
    const { secret, expiresAt } = await this.issueToken(manager, user, TokenPurpose.VERIFY_EMAIL, now);
    const params: VerifyEmailParams = { secret, email: user.email, expiresAt: expiresAt.getTime() };
    await this.outbox.enqueue(manager, {
      channel: 'email',
      recipient: user.email,
      recipientUserId: user.id,
      template: AccountTemplate.VERIFY_EMAIL,
      params: { ...params },
      subject: accountSubject(AccountTemplate.VERIFY_EMAIL, user.locale),
    });
  }

  /**
   * In updateMe's transaction, once user holds the new address: links sent to the old one (reset,
   * verification) stop working, the new one gets a verification link and the old one a notice, if it
   * was verified: an unverified address was never shown to be the user's, so it gets nothing.
   */
  async emailChanged(
    manager: EntityManager,
    user: User,
    old: { email: string; verified: boolean },
  ): Promise<void> {
    const now = this.clock.now();
    await this.useUpTokens(manager, user.id, TokenPurpose.RESET_PASSWORD, now);
    await this.sendVerification(manager, user);
    if (!old.verified) return;
    const params: EmailChangedParams = {
      username: user.username,
      oldEmail: old.email,
      newEmail: user.email,
      changedAt: now.getTime(),
    };
    await this.outbox.enqueue(manager, {
      channel: 'email',
      recipient: old.email,
      recipientUserId: user.id,
      template: AccountTemplate.EMAIL_CHANGED,
      params: { ...params },
      subject: accountSubject(AccountTemplate.EMAIL_CHANGED, user.locale),
    });
  }

  async passwordChanged(manager: EntityManager, user: User): Promise<void> {
    await this.useUpTokens(manager, user.id, TokenPurpose.RESET_PASSWORD, this.clock.now());
  }

  /** Marks the address verified when the link is valid, unused, unexpired and still for the user's address. */
  async verifyEmail(secret: string): Promise<User> {
    if (!isWellFormedSecret(secret)) throw invalidToken();
    return this.database.transaction(async (manager) => {
      const now = this.clock.now();
      const token = await manager.findOneBy(UserToken, { tokenHash: hashTokenSecret(secret) });
      if (!token || !isTokenUsable(token, TokenPurpose.VERIFY_EMAIL, now)) throw invalidToken();
      const user = await manager.findOneBy(User, { id: token.userId });
      if (!user || token.email === null || normalizeKey(token.email) !== user.emailKey) throw invalidToken();
      token.usedAt = now;
      user.emailVerified = true;
      await manager.save(token);
      return manager.save(user);
    });
  }

  async resendVerification(actor: User): Promise<true> {
    if (actor.emailVerified) throw alreadyVerified();
    await this.resends.consume(`user:${actor.id}`);
    await this.database.transaction(async (manager) => {
      const user = await manager.findOneByOrFail(User, { id: actor.id });
      if (user.emailVerified) throw alreadyVerified();
      await this.sendVerification(manager, user);
    });
    return true;
  }

  /**
   * Always true: a known and an unknown address get the same answer, and the same limits (counted on
   * the address as typed and on the client), so the answer never tells whether an account exists. The
   * answer comes before the look-up, which would take longer for a known address (a write): the limits
   * are counted here, in their store (no SQL of the service's), and the link is made and enqueued right
   * after the request.
   */
  async requestPasswordReset(email: string, clientAddress: string): Promise<true> {
    const emailKey = normalizeKey(email);
    await this.resetsByClient.consume(clientAddress);
    // The address as typed is what is at most 254 characters: its lower case may be longer ("İ").
    const knownLength = email.trim().length <= MAX_EMAIL_LENGTH;
    if (!knownLength) return true;
    try {
      await this.resetsByEmail.consume(emailKey);
    } catch (refusal) {
      // Refused for the address: the client's allowance is not spent on it.
      await this.resetsByClient.reward(clientAddress);
      throw refusal;
    }
    // Not durable: a crash between the answer and the commit loses this request; the user simply asks
    // again (the answer never promised a mail). A clean stop waits for it (settled()).
    const lookUp = this.outsideRequests(
      () =>
        new Promise<void>((resolve) => {
          setImmediate(() => {
            this.sendResetLink(emailKey)
              .catch((error: unknown) => this.reportError(error, 'password reset request'))
              .finally(resolve);
          });
        }),
    );
    this.pendingResets.add(lookUp);
    void lookUp.finally(() => this.pendingResets.delete(lookUp));
    return true;
  }

  /** Resolves once every reset request answered so far has been looked up (tests, a clean stop). */
  async settled(): Promise<void> {
    while (this.pendingResets.size > 0) await Promise.all(this.pendingResets);
  }

  private async sendResetLink(emailKey: string): Promise<void> {
    await this.database.transaction(async (manager) => {
      const user = await manager.findOneBy(User, { emailKey });
      // A deactivated account regains nothing by a reset: treated like an unknown address.
      if (!user || isDeactivated(user)) return;
      const { secret, expiresAt } = await this.issueToken(
        manager,
        user,
        TokenPurpose.RESET_PASSWORD,
        this.clock.now(),
      );
      const params: PasswordResetParams = { secret, expiresAt: expiresAt.getTime() };
      await this.outbox.enqueue(manager, {
        channel: 'email',
        recipient: user.email,
        recipientUserId: user.id,
        template: AccountTemplate.PASSWORD_RESET,
        params: { ...params },
        subject: accountSubject(AccountTemplate.PASSWORD_RESET, user.locale),
      });
    });
  }

  /**
   * Sets the password from a reset link: every session of the user ends (session version bumped), every
   * reset link of the user is used up, and the address is verified when the link went to the current one.
   * The login locks of the account's username and address end: following the link proved the owner.
   */
  async resetPassword(secret: string, newPassword: string): Promise<true> {
    if (!isWellFormedSecret(secret)) throw invalidToken();
    const tokenHash = hashTokenSecret(secret);
    const found = await this.database.manager.findOneBy(UserToken, { tokenHash });
    if (!found || !isTokenUsable(found, TokenPurpose.RESET_PASSWORD, this.clock.now())) throw invalidToken();
    const owner = await this.database.manager.findOneBy(User, { id: found.userId });
    if (!owner || isDeactivated(owner)) throw invalidToken();
    assertAcceptablePassword(newPassword, { username: owner.username, email: owner.email }, 'newPassword');
    // The slow hash before the transaction; the token is checked again inside it (a parallel reset).
    const passwordHash = await hashPassword(newPassword);
    const user = await this.database.transaction(async (manager) => {
      const now = this.clock.now();
      const token = await manager.findOneBy(UserToken, { tokenHash });
      if (!token || !isTokenUsable(token, TokenPurpose.RESET_PASSWORD, now)) throw invalidToken();
      const user = await manager.findOneByOrFail(User, { id: token.userId });
      // Again here: a deactivation may have committed while the password was hashed.
      if (isDeactivated(user)) throw invalidToken();
      user.passwordHash = passwordHash;
      user.sessionVersion += 1;
      // Following the link proved the address it was sent to, if it is still the account's.
      if (token.email !== null && normalizeKey(token.email) === user.emailKey) user.emailVerified = true;
      await manager.save(user);
      await this.useUpTokens(manager, user.id, TokenPurpose.RESET_PASSWORD, now);
      return user;
    });
    // A login by username and one by address are locked apart (throttleKey): both end.
    await this.loginThrottle.unlock(throttleKey(user.username));
    await this.loginThrottle.unlock(throttleKey(user.email));
    return true;
  }

  private async issueToken(
    manager: EntityManager,
    user: User,
    purpose: TokenPurpose,
    now: Date,
  ): Promise<{ secret: string; expiresAt: Date }> {
    const secret = newTokenSecret();
    const expiresAt = new Date(now.getTime() + TOKEN_VALIDITY_MS[purpose]);
    await manager.insert(UserToken, {
      userId: user.id,
      purpose,
      tokenHash: hashTokenSecret(secret),
      email: user.email,
      createdAt: now,
      expiresAt,
      usedAt: null,
    });
    return { secret, expiresAt };
  }

  private async useUpTokens(
    manager: EntityManager,
    userId: number,
    purpose: TokenPurpose,
    now: Date,
  ): Promise<void> {
    await manager.update(UserToken, { userId, purpose, usedAt: IsNull() }, { usedAt: now });
  }
}

function alreadyVerified(): BadInputError {
  return BadInputError.field('email', 'invalid', 'Your email address is already verified.');
}
