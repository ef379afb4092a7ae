import type { Clock } from '../clock';
import type { Config } from '../config';
import { BadInputError } from '../errors';
import type { User } from '../users/user.entity';
import type { LoginInput, RegisterInput } from '../users/user.inputs';
import type { UserService } from '../users/user.service';
import { type LoginThrottle, throttleKey } from './login-throttle';
import { decoyPasswordHash, verifyPassword } from './password';
import { SlidingWindowLimiter } from './sliding-window-limiter';
import type { TokenClaims, TokenService } from './token.service';

const HOUR_MS = 3600 * 1000;
const INVALID_LOGIN = 'Invalid login or password.';

export interface Session {
  user: User;
  token: string;
  expiresAt: Date;
  claims: TokenClaims;
}

/** Registration, login and logout, with their brute-force limits. */
export class AuthService {
  private readonly registrations: SlidingWindowLimiter;
  private readonly failedLoginsByAddress: SlidingWindowLimiter;

  constructor(
    private readonly users: UserService,
    private readonly tokens: TokenService,
    private readonly throttle: LoginThrottle,
    config: Pick<Config, 'registrationsPerHour' | 'failedLoginsPerAddress'>,
    private readonly clock: Clock,
  ) {
    this.registrations = new SlidingWindowLimiter(
      config.registrationsPerHour,
      HOUR_MS,
      'Too many accounts registered from your address. Try again later.',
    );
    this.failedLoginsByAddress = new SlidingWindowLimiter(
      config.failedLoginsPerAddress,
      15 * 60 * 1000,
      'Too many failed logins from your address. Try again later.',
    );
  }

  async register(input: RegisterInput, clientAddress: string): Promise<Session> {
    // Counted before the slow password hash, so parallel requests cannot all pass the check at once;
    // refused attempts count too, which also limits probing for registered emails.
    this.registrations.hit(clientAddress, this.clock.now().getTime());
    const user = await this.users.register(input);
    return { user, ...this.tokens.issue(user) };
  }

  async login(input: LoginInput, clientAddress: string): Promise<Session> {
    // The attempt takes its slot before the slow password check, so parallel attempts cannot all pass;
    // the slot is given back unless the attempt turns out to be a wrong password.
    const reservedAt = this.failedLoginsByAddress.hit(clientAddress, this.clock.now().getTime());
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
      return { user, ...this.tokens.issue(user) };
    } finally {
      if (!failed) this.failedLoginsByAddress.release(clientAddress, reservedAt);
    }
  }

  logout(session: TokenClaims): Promise<void> {
    return this.tokens.revoke(session);
  }

  issueFor(user: User): Omit<Session, 'user'> {
    return this.tokens.issue(user);
  }
}
