import { AuthService } from './auth/auth.service';
import { LoginThrottle } from './auth/login-throttle';
import { loadOrCreateSecret } from './auth/token-secret';
import { TokenService } from './auth/token.service';
import type { Config } from './config';
import type { Database } from './database/data-source';
import { ProjectService } from './projects/project.service';
import { StatsService } from './stats/stats.service';
import { TicketService } from './tickets/ticket.service';
import { UserService } from './users/user.service';

/** The services that hold the rules, built once per process and shared by every request. */
export interface Services {
  database: Database;
  tokens: TokenService;
  auth: AuthService;
  users: UserService;
  projects: ProjectService;
  tickets: TicketService;
  stats: StatsService;
}

export function createServices(database: Database, config: Config): Services {
  const tokens = new TokenService(
    database,
    loadOrCreateSecret(config.dataDir, config.jwtSecret),
    config.tokenTtlSeconds,
  );
  // One throttle for every password check (login, updateMe), so they share counts and per-key order.
  const loginThrottle = new LoginThrottle(database);
  const users = new UserService(database, loginThrottle);
  return {
    database,
    tokens,
    auth: new AuthService(users, tokens, loginThrottle, config),
    users,
    projects: new ProjectService(database),
    tickets: new TicketService(database),
    stats: new StatsService(database),
  };
}
