import { AuthService } from './auth/auth.service';
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
  const users = new UserService(database);
  return {
    database,
    tokens,
    auth: new AuthService(database, users, tokens, config),
    users,
    projects: new ProjectService(database),
    tickets: new TicketService(database),
    stats: new StatsService(database),
  };
}
