import { AuthService } from './auth/auth.service';
import { LoginThrottle } from './auth/login-throttle';
import { loadOrCreateSecret } from './auth/token-secret';
import { TokenService } from './auth/token.service';
import { type Clock, systemClock } from './clock';
import type { Config } from './config';
import type { Database } from './database/data-source';
import { EventLog } from './events/event-log';
import { Outbox } from './outbox/outbox';
import { ProjectService } from './projects/project.service';
import { StatsService } from './stats/stats.service';
import { JobRecorder } from './tickets/job-recorder';
import { TicketService } from './tickets/ticket.service';
import { UserService } from './users/user.service';

/** The services that hold the rules, built once per process and shared by every request. */
export interface Services {
  database: Database;
  clock: Clock;
  events: EventLog;
  outbox: Outbox;
  tokens: TokenService;
  auth: AuthService;
  users: UserService;
  projects: ProjectService;
  tickets: TicketService;
  stats: StatsService;
}

export function createServices(database: Database, config: Config, clock: Clock = systemClock): Services {
  const tokens = new TokenService(
    database,
    loadOrCreateSecret(config.dataDir, config.jwtSecret),
    config.tokenTtlSeconds,
  );
  // One throttle for every password check (login, updateMe), so they share counts and per-key order.
  const loginThrottle = new LoginThrottle(database);
  const users = new UserService(database, loginThrottle);
  const events = new EventLog(database);
  return {
    database,
    clock,
    events,
    outbox: new Outbox(clock),
    tokens,
    auth: new AuthService(users, tokens, loginThrottle, config),
    users,
    projects: new ProjectService(database),
    tickets: new TicketService(database, clock, new JobRecorder(events)),
    stats: new StatsService(database),
  };
}
