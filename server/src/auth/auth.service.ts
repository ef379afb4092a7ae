import type { Config } from '../config';
import type { Database } from '../database/data-source';
import { BadInputError } from '../errors';
import type { User } from '../users/user.entity';
import type { LoginInput, RegisterInput } from '../users/user.inputs';
import type { UserService } from '../users/user.service';
import { KeyedLock } from './keyed-lock';
import { LoginThrottle } from './login-throttle';
import { decoyPasswordHash, verifyPassword } from './password';
import { SlidingWindowLimiter } from './sliding-window-limiter';
import type { TokenClaims, TokenService } from './token.service';

const HOUR_MS = 3600 * 1000;
/** Failed logins one client address may make, across all accounts, per 15 minutes. */
const FAILED_LOGINS_PER_ADDRESS = 100;
const INVALID_LOGIN = 'Invalid login or password.';

export interface Session {
  user: User;
  token: string;
  expiresAt: Date;
}

/** Registration, login and logout, with their brute-force limits. */
export class AuthService {
  private readonly registrations: SlidingWindowLimiter;
  private readonly failedLoginsByAddress = new SlidingWindowLimiter(
    FAILED_LOGINS_PER_ADDRESS,
    15 * 60 * 1000,
    'Too many failed logins from your address. Try again later.',
  );
  private readonly throttle: LoginThrottle;
  // Attempts on one account run one after the other, so parallel requests cannot overshoot the limit.
  private readonly accountLock = new KeyedLock();

  constructor(
    database: Database,
    private readonly users: UserService,
    private readonly tokens: TokenService,
    config: Pick<Config, 'registrationsPerHour'>,
  ) {
    this.throttle = new LoginThrottle(database);
    this.registrations = new SlidingWindowLimiter(
      config.registrationsPerHour,
      HOUR_MS,
      'Too many accounts registered from your address. Try again later.',
    );
  }

  async register(input: RegisterInput, clientAddress: string): Promise<Session> {
    // Counted before the slow password hash, so parallel requests cannot all pass the check at once;
    // refused attempts count too, which also limits probing for registered emails.
    this.registrations.hit(clientAddress);
    const user = await this.users.register(input);
    return { user, ...this.tokens.issue(user) };
  }

  async login(input: LoginInput, clientAddress: string): Promise<Session> {
    this.failedLoginsByAddress.assertAllowed(clientAddress);
    const user = await this.users.findByLogin(input.login);
    if (!user) {
      // Same work and same answer as a wrong password: an unknown login is not revealed.
      await verifyPassword(input.password, await decoyPasswordHash());
      this.failedLoginsByAddress.record(clientAddress);
      throw BadInputError.field('login', 'invalid', INVALID_LOGIN);
    }
    return this.accountLock.run(String(user.id), async () => {
      await this.throttle.assertCanTry(user.id);
      if (!(await verifyPassword(input.password, user.passwordHash))) {
        await this.throttle.recordFailure(user.id);
        this.failedLoginsByAddress.record(clientAddress);
        throw BadInputError.field('login', 'invalid', INVALID_LOGIN);
      }
      await this.throttle.clear(user.id);
      return { user, ...this.tokens.issue(user) };
    });
  }

  logout(session: TokenClaims): Promise<void> {
    return this.tokens.revoke(session);
  }

  issueFor(user: User): Omit<Session, 'user'> {
    return this.tokens.issue(user);
  }
}
