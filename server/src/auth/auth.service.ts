import type { Config } from '../config';
import { BadInputError, ForbiddenError } from '../errors';
import { DEACTIVATED_ACCOUNT_MESSAGE, isDeactivated } from '../users/deactivation';
import type { RateLimit } from '../limits/rate-limit';
import type { RateLimitStore } from '../limits/rate-limit-store';
import type { User } from '../users/user.entity';
import type { LoginInput, RegisterInput } from '../users/user.inputs';
import type { UserService } from '../users/user.service';
import { type LoginThrottle, throttleKey } from './login-throttle';
import { decoyPasswordHash, verifyPassword } from './password';
import type { TokenClaims, TokenService } from './token.service';

const INVALID_LOGIN = 'Invalid login or password.';

export interface Session {
  user: User;
  token: string;
  expiresAt: Date;
  claims: TokenClaims;
}

/** Registration, login and logout, with their brute-force limits. */
export class AuthService {
  private readonly registrations: RateLimit;
  private readonly failedLoginsByAddress: RateLimit;

  constructor(
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
    limits: RateLimitStore,
    config: Pick<Config, 'registrationsPerHour' | 'failedLoginsPerAddress'>,
  ) {
    this.registrations = limits.limit({
      name: 'registrations',
      points: config.registrationsPerHour,
      durationSeconds: 3600,
      message: 'Too many accounts registered from your address. Try again later.',
    });
    this.failedLoginsByAddress = limits.limit({
      name: 'failed-logins',
      points: config.failedLoginsPerAddress,
      durationSeconds: 15 * 60,
      message: 'Too many failed logins from your address. Try again later.',
    });
  }

  async register(input: RegisterInput, clientAddress: string): Promise<Session> {
    // Counted before the slow password hash, so parallel requests cannot all pass the check at once;
    // refused attempts count too, which also limits probing for registered emails.
    await this.registrations.consume(clientAddress);
    const user = await this.users.register(input);
    return { user, ...this.tokens.issue(user) };
  }

  async login(input: LoginInput, clientAddress: string): Promise<Session> {
    // The attempt takes its slot before the slow password check, so parallel attempts cannot all pass;
    // the slot is given back unless the attempt turns out to be a wrong password.
    await this.failedLoginsByAddress.consume(clientAddress);
    let failed = false;
    try {
      const user = await this.users.findByLogin(input.login);
      const passwordIsRight = await this.throttle.attempt(throttleKey(input.login), async () => {
        // An unknown login is compared against a decoy hash: same work, same answer, same lock.
        const hash = user ? user.passwordHash : await decoyPasswordHash();
        return (await verifyPassword(input.password, hash)) && user !== null;
      });
      if (!passwordIsRight || !user) {
        failed = true;
        throw BadInputError.field('login', 'invalid', INVALID_LOGIN);
      }
      // Only the right password learns that the account is deactivated (like GitHub's suspended accounts):
      // the owner is told what to do; a guesser learns the password, which no longer opens anything.
      if (isDeactivated(user)) throw new ForbiddenError(DEACTIVATED_ACCOUNT_MESSAGE);
      return { user, ...this.tokens.issue(user) };
    } finally {
      if (!failed) await this.failedLoginsByAddress.reward(clientAddress);
    }
  }

  logout(session: TokenClaims): Promise<void> {
    return this.tokens.revoke(session);
  }

  issueFor(user: User): Omit<Session, 'user'> {
    return this.tokens.issue(user);
  }
}
