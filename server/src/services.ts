import type { Logger } from 'pino';
import { registerAccountRenderers } from './accounts/account-renderers';
import { AccountsService } from './accounts/accounts.service';
import { ApiTokenAuthenticator } from './api-tokens/api-token-authenticator';
import { ApiTokenService } from './api-tokens/api-token.service';
import { TokenBudget } from './api-tokens/token-budget';
import { AuthService } from './auth/auth.service';
import type { Authenticator } from './auth/principal';
import { SessionAuthenticator } from './auth/session-authenticator';
import { SessionCache } from './auth/session-cache';
import { LoginThrottle } from './auth/login-throttle';
import type { RateLimitStore } from './limits/rate-limit-store';
import { rateLimitsOf } from './limits/rate-limits-of';
import { loadOrCreateSecret } from './auth/token-secret';
import { TokenService } from './auth/token.service';
import { type Clock, systemClock } from './clock';
import type { Config } from './config';
import type { Database } from './database/data-source';
import type { EventConsumer } from './events/event-consumers';
import { EventLog } from './events/event-log';
import { HistoryService } from './history/history.service';
import { LiveFeed } from './live/live-feed';
import { createLogger } from './logging';
import { EmailNotifier, TICKET_ACTIVITY_TEMPLATE } from './notifications/email-notifier';
import { renderTicketActivity } from './notifications/ticket-activity.renderer';
import { bindUnsubscribeTokens } from './notifications/unsubscribe-token';
import { type Mailer, createMailer } from './outbox/mailer';
import { LinkSecrets } from './outbox/link-secrets';
import { Outbox } from './outbox/outbox';
import { OutboxService } from './outbox/outbox.service';
import { RendererRegistry } from './outbox/renderers';
import { ProjectService } from './projects/project.service';
import { SavedViewService } from './saved-views/saved-view.service';
import { StatsService } from './stats/stats.service';
import { JobRecorder } from './tickets/job-recorder';
import { TicketService } from './tickets/ticket.service';
import { UserService } from './users/user.service';
import { WebhookNotifier } from './webhooks/webhook-notifier';
import { WebhookService } from './webhooks/webhook.service';

/** The services that hold the rules, built once per process and shared by every request. */
export interface Services {
  database: Database;
  clock: Clock;
  events: EventLog;
  outbox: Outbox;
  tokens: TokenService;
  /** Personal access tokens for integrations. */
  apiTokens: ApiTokenService;
  /** Session checks believed for a moment, forgotten at any write that could change them. */
  sessionCache: SessionCache;
  /** One per kind of credential (session JWT, API token): each turns it into a principal. */
  authenticators: Authenticator[];
  /** API tokens' cost points per hour. */
  tokenBudget: TokenBudget;
  /** Where every rate limit is counted (shared by every process on the database); closed at stop. */
  limits: RateLimitStore;
  /** Per-login brute-force lock of every password check. */
  loginThrottle: LoginThrottle;
  auth: AuthService;
  accounts: AccountsService;
  users: UserService;
  projects: ProjectService;
  tickets: TicketService;
  /** Each person's named filters of the ticket list. */
  savedViews: SavedViewService;
  stats: StatsService;
  /** The history feed that integrations poll. */
  history: HistoryService;
  /** Live updates: the event log read once per batch for every subscription (app.ts starts and stops it). */
  live: LiveFeed;
  /** The admin's view of the outbox (list, retry). */
  outboxMessages: OutboxService;
  /** The admin's webhooks; their deliveries go through the outbox (channel webhook). */
  webhooks: WebhookService;
  /** Delivers email: SMTP, or .eml files in DATA_DIR/outbox. */
  mailer: Mailer;
  /** Fed the domain events after each commit, in order (app.ts runs them). Push yours here. */
  eventConsumers: EventConsumer[];
  /** How each outbox template is written at sending time (the delivery worker reads it). Add yours here. */
  renderers: RendererRegistry;
}

export function createServices(
  database: Database,
  config: Config,
  clock: Clock = systemClock,
  mailer: Mailer = createMailer(config),
  logger: Logger = createLogger(config.logLevel),
): Services {
  const tokens = new TokenService(
    database,
    loadOrCreateSecret(config.dataDir, config.jwtSecret),
    config.tokenTtlSeconds,
    clock,
  );
  const limits = rateLimitsOf(database);
  limits.on('fault', (error) => logger.warn({ err: error }, 'rate limit store fault'));
  // One throttle for every password check (login, updateMe), so they share counts.
  const loginThrottle = new LoginThrottle(database);
  const outbox = new Outbox(
    clock,
    LinkSecrets.derivedFrom(loadOrCreateSecret(config.dataDir, config.jwtSecret)),
  );
  const accounts = new AccountsService(database, clock, outbox, loginThrottle, (error, what) =>
    logger.error({ err: error }, `${what} failed`),
  );
  const unsubscribeTokens = bindUnsubscribeTokens(config, database);
  const users = new UserService(database, loginThrottle, clock, accounts, unsubscribeTokens);
  const events = new EventLog(database);
  const renderers = new RendererRegistry();
  registerAccountRenderers(renderers);
  renderers.register(TICKET_ACTIVITY_TEMPLATE, renderTicketActivity);
  const apiTokens = new ApiTokenService(database, clock, (error, what) =>
    logger.error({ err: error }, `${what} failed`),
  );
  const sessionCache = new SessionCache(clock, config.sessionCacheMs);
  sessionCache.watch(database);
  return {
    database,
    clock,
    events,
    outbox,
    tokens,
    apiTokens,
    sessionCache,
    authenticators: [
      new ApiTokenAuthenticator(apiTokens),
      new SessionAuthenticator(database, tokens, sessionCache),
    ],
    tokenBudget: new TokenBudget(limits, config.apiTokenBudget),
    limits,
    loginThrottle,
    auth: new AuthService(users, tokens, loginThrottle, limits, config),
    accounts,
    users,
    projects: new ProjectService(database, clock),
    tickets: new TicketService(database, clock, new JobRecorder(events)),
    savedViews: new SavedViewService(database, clock),
    stats: new StatsService(database, clock),
    history: new HistoryService(database),
    live: new LiveFeed(database, events, logger, { now: () => clock.now() }),
    outboxMessages: new OutboxService(database, clock),
    webhooks: new WebhookService(database, clock, outbox, config.webhookAllowHosts),
    mailer,
    eventConsumers: [new EmailNotifier(outbox), new WebhookNotifier(outbox)],
    renderers,
  };
}
