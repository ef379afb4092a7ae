import { AccountsService } from '../../src/accounts/accounts.service';
import { LoginThrottle } from '../../src/auth/login-throttle';
import { type Clock, systemClock } from '../../src/clock';
import type { Database } from '../../src/database/data-source';
import { UnsubscribeTokens } from '../../src/notifications/unsubscribe-token';
import { Outbox } from '../../src/outbox/outbox';
import { UserService } from '../../src/users/user.service';

/** A UserService wired as createServices wires it, for unit specs that only need accounts to exist. */
export function userServiceFor(database: Database, clock: Clock = systemClock): UserService {
  const loginThrottle = new LoginThrottle(database);
  const accounts = new AccountsService(database, clock, new Outbox(clock), loginThrottle, (error) =>
    console.error(error),
  );
  const unsubscribeTokens = new UnsubscribeTokens('a-token-secret-of-at-least-32-characters', database);
  return new UserService(database, loginThrottle, clock, accounts, unsubscribeTokens);
}
