import { randomInt } from 'node:crypto';
import { type EntityManager, IsNull } from 'typeorm';
import { ApiToken } from '../api-tokens/api-token.entity';
import { type LoginThrottle, throttleKey } from '../auth/login-throttle';
import { assertAcceptablePassword, hashPassword, verifyPassword } from '../auth/password';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import type { UnsubscribeTokens } from '../notifications/unsubscribe-token';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import type { RateLimit } from '../limits/rate-limit';
import { rateLimitsOf } from '../limits/rate-limits-of';
import type { AccountMail } from './account-mail';
import { isDeactivated } from './deactivation';
import { Locale, Role, isStaff } from './role';
import { User } from './user.entity';
import type { RegisterInput, UpdateMeInput } from './user.inputs';
import { normalizeKey } from './user-key';
import { rawQuery } from '../database/sql';

/** Email changes per user per day: each one mails both addresses, so the limit caps mail to strangers too. */
export const EMAIL_CHANGES_PER_DAY = 5;

/** Accounts: creation, profile changes, roles. Who may call what is checked here, not only in the schema. */
export class UserService {
  private readonly emailChanges: RateLimit;
  /** Accounts are never deleted: once one exists, setup is never needed again in this process. */
  private hasAccount = false;

  constructor(
    private readonly database: Database,
    // The process's one throttle, shared with AuthService's login.
    private readonly loginThrottle: LoginThrottle,
    private readonly clock: Clock,
    // Registration and email changes send their links in the same transaction as the change.
    private readonly accounts: AccountMail,
    private readonly unsubscribeTokens: UnsubscribeTokens,
  ) {
    this.emailChanges = rateLimitsOf(database).limit({
      name: 'email-changes',
      points: EMAIL_CHANGES_PER_DAY,
      durationSeconds: 24 * 3600,
      message: 'Your email address was changed several times today. Try again later.',
    });
  }

  findById(id: number): Promise<User | null> {
    return this.database.manager.findOneBy(User, { id });
  }

  /** By email or username, without regard to case. */
  findByLogin(login: string): Promise<User | null> {
    const key = normalizeKey(login);
    return this.database.manager
      .createQueryBuilder(User, 'u')
      .where(key.includes('@') ? 'u.emailKey = :key' : 'u.usernameKey = :key', { key })
      .getOne();
  }

  list(): Promise<User[]> {
    return this.database.manager.find(User, { order: { id: 'ASC' } });
  }

  /** Active agents and admins: who may be assigned a ticket. */
  listStaff(): Promise<User[]> {
    return this.database.manager.find(User, {
      where: [
        { role: Role.AGENT, deactivatedAt: IsNull() },
        { role: Role.ADMIN, deactivatedAt: IsNull() },
      ],
      order: { usernameKey: 'ASC' },
    });
  }

  /** Whether the service has no account yet, so the next one to register becomes its ADMIN. */
  async setupNeeded(): Promise<boolean> {
    if (this.hasAccount) return false;
    const rows = await rawQuery<unknown[]>(this.database.manager, 'SELECT 1 FROM "user" LIMIT 1');
    this.hasAccount = rows.length > 0;
    return !this.hasAccount;
  }

  /** The first account of an empty database becomes ADMIN; nobody chooses their role. */
  async register(input: RegisterInput): Promise<User> {
    assertAcceptablePassword(input.password, { username: input.username, email: input.email });
    const passwordHash = await hashPassword(input.password);
    return this.database.transaction(async (manager) => {
      await this.assertUnique(manager, { username: input.username, email: input.email });
      const isFirst = (await manager.count(User)) === 0;
      const user = await manager.save(
        manager.create(User, {
          username: input.username,
          usernameKey: normalizeKey(input.username),
          email: input.email.trim(),
          emailKey: normalizeKey(input.email),
          passwordHash,
          role: isFirst ? Role.ADMIN : Role.USER,
          locale: Locale.EN,
          notifyByEmail: true,
          // Random start: a token issued for an earlier user with the same id (a restored backup) never matches.
          sessionVersion: randomInt(1, 2 ** 31 - 1),
          createdAt: this.clock.now(),
        }),
      );
      await this.accounts.sendVerification(manager, user);
      return user;
    });
  }

  /**
   * A new email or password needs currentPassword (a session left open must not hand the account over).
   * A new email is unverified until its link is followed; the old address is told of the change when it
   * was verified. At most EMAIL_CHANGES_PER_DAY email changes per user.
   */
  async updateMe(actor: User, input: UpdateMeInput): Promise<{ user: User; passwordChanged: boolean }> {
    // BAD_USER_INPUT rather than FORBIDDEN: updateMe is allowed, one field of it does not apply to a USER,
    // and the client shows the refusal beside that field like any other invalid input.
    if (input.notifyNewTickets != null && !isStaff(actor.role)) {
      throw BadInputError.field(
        'notifyNewTickets',
        'notAllowed',
        'notifyNewTickets is for agents and admins only.',
      );
    }
    const emailChanges = input.email != null && normalizeKey(input.email) !== actor.emailKey;
    const passwordChanges = input.newPassword !== undefined && input.newPassword !== null;
    const limitKey = `user:${actor.id}`;
    if (emailChanges) await this.emailChanges.assertAllowed(limitKey);
    if (emailChanges || passwordChanges) await this.assertCurrentPassword(actor, input.currentPassword);
    // Counted once the password is proven (a wrong one is the login throttle's), before any write, so
    // parallel requests cannot all pass; a change refused later (address taken) counts too.
    if (emailChanges) await this.emailChanges.consume(limitKey);
    if (input.newPassword !== undefined && input.newPassword !== null) {
      assertAcceptablePassword(
        input.newPassword,
        { username: actor.username, email: input.email ?? actor.email },
        'newPassword',
      );
    }
    const passwordHash = input.newPassword ? await hashPassword(input.newPassword) : undefined;
    return this.database.transaction(async (manager) => {
      const user = await manager.findOneByOrFail(User, { id: actor.id });
      const old = { email: user.email, verified: user.emailVerified };
      const newEmail =
        input.email != null && normalizeKey(input.email) !== user.emailKey ? input.email : null;
      if (newEmail !== null) {
        await this.assertUnique(manager, { email: newEmail });
        user.email = newEmail.trim();
        user.emailKey = normalizeKey(newEmail);
        user.emailVerified = false;
      }
      if (input.locale != null) user.locale = input.locale;
      if (input.notifyByEmail != null) user.notifyByEmail = input.notifyByEmail;
      if (input.notifyNewTickets != null) user.notifyNewTickets = input.notifyNewTickets;
      if (passwordHash) {
        user.passwordHash = passwordHash;
        // Every token issued before this change stops working on the next request.
        user.sessionVersion += 1;
      }
      const saved = await manager.save(user);
      if (newEmail !== null) await this.accounts.emailChanged(manager, saved, old);
      if (passwordHash) await this.accounts.passwordChanged(manager, saved);
      return { user: saved, passwordChanged: passwordHash !== undefined };
    });
  }

  private async assertCurrentPassword(actor: User, currentPassword: string | undefined): Promise<void> {
    if (!currentPassword) {
      throw BadInputError.field(
        'currentPassword',
        'required',
        'currentPassword is required to change your email or password.',
      );
    }
    // A stolen session must not guess the password here: the check counts on the key a login by this
    // username uses, so both paths share its 10 guesses (the email, like every spelling, has its own).
    const isCurrent = await this.loginThrottle.attempt(throttleKey(actor.username), () =>
      verifyPassword(currentPassword, actor.passwordHash),
    );
    if (!isCurrent) {
      throw BadInputError.field(
        'currentPassword',
        'wrongPassword',
        'currentPassword is not your current password.',
      );
    }
  }

  /**
   * One-click unsubscribe (RFC 8058): turns email notifications off for the account the link names. A
   * link that was cut, forged, issued by another database or names no account is BAD_USER_INPUT.
   */
  async unsubscribe(token: string): Promise<void> {
    const userId = this.unsubscribeTokens.verify(token);
    const found =
      userId !== null &&
      (await this.database.transaction(async (manager) => {
        const result = await manager.update(User, { id: userId }, { notifyByEmail: false });
        return (result.affected ?? 0) > 0;
      }));
    if (!found) {
      throw BadInputError.field(
        'token',
        'invalid',
        'This unsubscribe link is not valid (it may have been cut).',
      );
    }
  }

  async setRole(actor: User, userId: number, role: Role): Promise<User> {
    if (actor.role !== Role.ADMIN) throw new ForbiddenError('Only an admin can change roles.');
    return this.database.transaction(async (manager) => {
      const user = await manager.findOneBy(User, { id: userId });
      if (!user) throw new NotFoundError('User', userId);
      // A deactivated admin keeps the role (promoting or demoting them works) but does not count here.
      if (user.role === Role.ADMIN && role !== Role.ADMIN && !isDeactivated(user)) {
        const admins = await manager.countBy(User, { role: Role.ADMIN, deactivatedAt: IsNull() });
        if (admins <= 1) {
          throw BadInputError.field('role', 'notAllowed', 'role: the last admin cannot stop being an admin.');
        }
      }
      user.role = role;
      return manager.save(user);
    });
  }

  /**
   * Deactivating keeps the account's tickets and jobs (still under its name) and ends its access: no
   * login, no password reset, every session (session version bumped: reactivating does not bring them
   * back) and every API token (deleted). Reactivating lets the owner sign in again.
   */
  async setDeactivated(actor: User, userId: number, deactivated: boolean): Promise<User> {
    if (actor.role !== Role.ADMIN) throw new ForbiddenError('Only an admin can deactivate users.');
    if (deactivated && userId === actor.id) {
      throw BadInputError.field('userId', 'notAllowed', 'userId: you cannot deactivate your own account.');
    }
    return this.database.transaction(async (manager) => {
      const user = await manager.findOneBy(User, { id: userId });
      if (!user) throw new NotFoundError('User', userId);
      if (isDeactivated(user) === deactivated) return user;
      if (!deactivated) {
        user.deactivatedAt = null;
        return manager.save(user);
      }
      if (user.role === Role.ADMIN) {
        const activeAdmins = await manager.countBy(User, { role: Role.ADMIN, deactivatedAt: IsNull() });
        if (activeAdmins <= 1) {
          throw BadInputError.field(
            'userId',
            'notAllowed',
            'userId: the last active admin cannot be deactivated.',
          );
        }
      }
      user.deactivatedAt = this.clock.now();
      user.sessionVersion += 1;
      await manager.delete(ApiToken, { userId: user.id });
      return manager.save(user);
    });
  }

  private async assertUnique(
    manager: EntityManager,
    values: { username?: string; email?: string },
  ): Promise<void> {
    if (
      values.username !== undefined &&
      (await manager.existsBy(User, { usernameKey: normalizeKey(values.username) }))
    ) {
      throw BadInputError.field('username', 'unique', 'username is already taken.');
    }
    if (
      values.email !== undefined &&
      (await manager.existsBy(User, { emailKey: normalizeKey(values.email) }))
    ) {
      throw BadInputError.field('email', 'unique', 'email is already used by another account.');
    }
  }
}
