import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import express, { type ErrorRequestHandler } from 'express';
import type { DestinationStream, Logger } from 'pino';
import type { Clock } from './clock';
import {
  type ConfigOverrides,
  configWarnings,
  defaultPublicUrl,
  describeSmtpUrl,
  resolveConfig,
} from './config';
import { type Context, createContext } from './context';
import { openDatabase } from './database/data-source';
import { isPostgresUrl } from './database/database-url';
import {
  CountingLogger,
  type QueryTally,
  runWithQueryTally,
  setQueryCounting,
  wantsQueryCounts,
} from './database/query-counter';
import { EventConsumerRunner } from './events/event-consumers';
import { type CompiledOperations, compiledExecutionGateway } from './http/compiled-execution';
import { formatError } from './http/graphql-errors';
import {
  type FastPath,
  KnownOperations,
  bodyErrorAnswer,
  graphqlFastPath,
  rememberOperationsPlugin,
} from './http/graphql-fast-path';
import { type HealthListener, listeningUrl, startHealthListener } from './http/health-listener';
import { EventLoopDelay, RequestGate, ShedLog, promptHealth, withLoadShedding } from './http/load-shedding';
import {
  jobListLimitPlugin,
  principalPlugin,
  requestLogPlugin,
  storableTextPlugin,
} from './http/graphql-plugins';
import { noStore, securityHeaders } from './http/security-headers';
import { unsubscribeRoutes } from './http/unsubscribe';
import { webClient } from './http/web-client';
import { attachmentRoutes } from './attachments/attachment.routes';
import { exportRoutes } from './exports/export.routes';
import { importRoutes } from './imports/import.routes';
import { subscriptionsOverHttpPlugin } from './live/http-subscriptions';
import { SESSION_CHANNEL } from './migrations/postgres/1765900000000-session-notify';
import { LiveServer } from './live/live-server';
import { createLogger } from './logging';
import { DeliveryWorker } from './outbox/delivery-worker';
import { EmailSender } from './outbox/email-sender';
import { type Mailer, createMailer } from './outbox/mailer';
import { reportRoutes } from './reports/report.routes';
import { buildApiSchema } from './schema';
import { createServices, type Services } from './services';
import { WebhookSender } from './webhooks/webhook-sender';

export interface RunningServer {
  url: string;
  /** The health listener's address (HEALTH_PORT), null without one. */
  healthUrl: string | null;
  /** The HTTP server itself (tests wait for its 'request' event). */
  httpServer: http.Server;
  services: Services;
  logger: Logger;
  /** Sends the outbox's email in the background; tests call runOnce(). */
  delivery: DeliveryWorker;
  /** Sends the outbox's webhook deliveries in the background, apart from email; tests call runOnce(). */
  webhookDelivery: DeliveryWorker;
  /** Feeds domain events to services.eventConsumers in the background; tests call runOnce(). */
  eventConsumers: EventConsumerRunner;
  /** How operations are executed: compiled, or by graphql-js (compiled-execution.ts). */
  operations: CompiledOperations;
  /** GraphQL subscriptions over graphql-ws at /graphql (live/live-server.ts). */
  live: LiveServer;
  /** POST /graphql for documents already validated, without Express (http/graphql-fast-path.ts). */
  fastPath: FastPath;
  close(): Promise<void>;
}

export interface StartOptions {
  logDestination?: DestinationStream;
  /** The clock of every rule and of the delivery worker (tests: a ManualClock). */
  clock?: Clock;
  /** Default: SMTP when smtpUrl is set, otherwise .eml files in dataDir/outbox. */
  mailer?: Mailer;
  /** false (tests): the event consumers and delivery workers run only when runOnce() is called. */
  background?: boolean;
  /**
   * true (tests): an operation runs compiled from its first run, so every integration test goes through
   * compiled execution; by default a document is compiled when it is seen a second time.
   */
  compileFromFirstRun?: boolean;
}

export const MAX_TOKENS = 2000;
/** What a request refused for overload is told to wait: the line moves in well under a second. */
const RETRY_AFTER_SECONDS = 1;
/** How long /healthz waits for a fresh write probe before it answers the last one (busy service). */
const HEALTH_WAIT_MS = 20;

/** Limits that refuse abusive documents during validation, before any resolver or SQL runs. */
export const queryLimits = {
  maxDepth: { n: 10, ignoreIntrospection: true },
  maxAliases: { n: 15 },
  // graphql-js counts tokens while parsing (a clean 400); armor's plugin re-parses in a hook that answers 500.
  maxTokens: { enabled: false },
  maxDirectives: { n: 20 },
  // graphql-armor multiplies a literal `first` by the fields asked of each item; weighting depth too
  // (its default 1.5 per level) would price the history feed's largest page the contract allows
  // (first: 500, edges with every Job field) at 64,000. Unweighted, it is 18,000; depth has its own limit.
  costLimit: { maxCost: 20_000, depthCostFactor: 1, ignoreIntrospection: true },
  blockFieldSuggestion: { enabled: true },
};

const bodyErrorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) return next(error);
  const status = Number((error as { status?: number }).status) || 500;
  const type = (error as { type?: string }).type;
  if (type === 'entity.too.large' || type === 'entity.parse.failed') {
    const answer = bodyErrorAnswer(type);
    res.status(answer.status).type('json').send(answer.body);
    return;
  }
  const message = status === 404 ? 'Not found.' : status < 500 ? 'Bad request.' : 'Internal server error.';
  const code = status >= 500 ? 'INTERNAL_SERVER_ERROR' : status === 404 ? 'NOT_FOUND' : 'BAD_USER_INPUT';
  res.status(status).json({ errors: [{ message, extensions: { code } }] });
};

/** config → database → services → schema → one HTTP server for the API, the health check and the client. */
export async function startServer(
  overrides: ConfigOverrides = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  const config = resolveConfig(overrides);
  const logger = createLogger(config.logLevel, options.logDestination);
  const countingQueries = wantsQueryCounts(config);
  setQueryCounting(countingQueries);
  const development = config.nodeEnv === 'development';
  const database = await openDatabase(config, new CountingLogger(logger));
  database.on('fault', (error) => logger.error({ err: error }, 'database fault'));
  database.on('fatal', (error) =>
    logger.fatal({ err: error }, 'database connection left in an unknown state'),
  );
  const services = createServices(
    database,
    config,
    options.clock,
    options.mailer ?? createMailer(config, logger),
    logger,
  );
  const eventConsumers = new EventConsumerRunner(
    database,
    services.events,
    services.eventConsumers,
    logger,
    services.clock,
  );
  const delivery = new DeliveryWorker({
    database,
    clock: services.clock,
    log: logger,
    channel: 'email',
    sender: new EmailSender({
      database,
      clock: services.clock,
      mailer: services.mailer,
      config,
      renderers: services.renderers,
      secrets: services.outbox.secrets,
    }),
  });
  // A worker of its own: a slow or unreachable receiver never delays email, nor the other way round.
  const webhookDelivery = new DeliveryWorker({
    database,
    clock: services.clock,
    log: logger,
    channel: 'webhook',
    sender: new WebhookSender({
      database,
      secrets: services.outbox.secrets,
      allowHosts: config.webhookAllowHosts,
    }),
  });
  const schema = await buildApiSchema();

  const app = express();
  const loopDelay = new EventLoopDelay();
  const gate = new RequestGate(config, () => loopDelay.ms);
  const shedLog = new ShedLog(logger, () => ({
    inFlight: gate.inFlight,
    queued: gate.queued,
    eventLoopDelayMs: Math.round(loopDelay.ms),
  }));
  if (config.maxEventLoopDelayMs > 0) loopDelay.start();
  const shedding = config.maxConcurrentRequests > 0 || config.maxEventLoopDelayMs > 0;
  const armor = new ApolloArmor(queryLimits).protect();
  const compiled = compiledExecutionGateway(
    schema,
    options.compileFromFirstRun ? { compiledFromRun: 1, compileBudgetMs: Infinity } : {},
  );
  // What runs for each GraphQL request, through Apollo or through the fast path alike.
  const requestPlugins: ApolloServerPlugin<Context>[] = [
    ...armor.plugins,
    // A subscription over HTTP is refused before it runs (they are served over the WebSocket).
    subscriptionsOverHttpPlugin as ApolloServerPlugin<Context>,
    principalPlugin,
    storableTextPlugin,
    jobListLimitPlugin,
    requestLogPlugin(logger),
  ];
  const knownOperations = new KnownOperations();
  const fastPath = graphqlFastPath({
    app,
    known: knownOperations,
    operations: compiled.operations,
    schema,
    plugins: requestPlugins,
    createContext: (req, res) => createContext(services, req, res),
    formatError: (formatted, error) => formatError(formatted, error, development),
    includeStacktrace: development,
    countingQueries,
    logger,
  });
  // API requests past capacity are refused before they are read; the health check never is.
  const httpServer = http.createServer(
    shedding ? withLoadShedding(gate, shedLog, RETRY_AFTER_SECONDS, fastPath.listener) : fastPath.listener,
  );
  if (shedding) httpServer.on('connection', () => gate.connectionAccepted());
  const apollo = new ApolloServer<Context>({
    // The schema, executed as compiled code once an operation is seen again (compiled-execution.ts).
    gateway: compiled.gateway,
    csrfPrevention: true,
    parseOptions: { maxTokens: MAX_TOKENS },
    introspection: true,
    allowBatchedHttpRequests: false,
    // The service closes the database itself on SIGTERM; Apollo's handler would re-send the signal first.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: development,
    validationRules: armor.validationRules,
    formatError: (formatted, error) => formatError(formatted, error, development),
    plugins: [
      ...requestPlugins,
      // Valid documents, for the fast path's next requests.
      rememberOperationsPlugin(knownOperations),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // No HTTP caching of API answers: skipping its per-field hook saves time on every list.
      ApolloServerPluginCacheControlDisabled(),
      // Apollo's page names its version and loads from a CDN; the app has its own playground.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();
  // Subscriptions: graphql-ws on the same port and path, with the same document limits and error mapping.
  const live = new LiveServer({
    httpServer,
    services,
    schema,
    validationRules: armor.validationRules,
    maxTokens: MAX_TOKENS,
    publicUrl: () => config.publicUrl,
    logger,
    development,
    postgresUrl: isPostgresUrl(config.databaseUrl) ? config.databaseUrl : undefined,
    // A person changed or a session ended, on any instance (a trigger notifies: migration 1765900000000):
    // sessions believed here are read again; none is believed while this listener is not connected.
    alsoListen: { [SESSION_CHANNEL]: () => services.sessionCache.forgetAll() },
    onListening: (listening) => services.sessionCache.hearingOthers(listening),
  });
  // Until the listener is connected, other instances' changes could go unheard.
  if (isPostgresUrl(config.databaseUrl)) services.sessionCache.hearingOthers(false);

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(securityHeaders);
  // Counted where it costs nothing (query-counter.ts): elsewhere the request log leaves `sql` out.
  if (countingQueries) {
    app.use((_req, res, next) => {
      const tally: QueryTally = { count: 0 };
      res.locals.queryTally = tally;
      runWithQueryTally(tally, next);
    });
  }
  // Healthy means able to save: a database that only reads is reported, so a supervisor can act.
  const databaseHealth = promptHealth(
    () => database.health(),
    HEALTH_WAIT_MS,
    () => gate.queued > 0,
  );
  app.get('/healthz', async (_req, res) => {
    const health = await databaseHealth();
    if (health.ok) res.json({ status: 'ok' });
    else res.status(503).json({ status: 'unavailable', reason: 'database', detail: health.detail });
  });
  // A browser opening the API's address gets the playground, not an error page.
  app.get('/graphql', (req, res, next) => {
    if (req.query.query === undefined && req.accepts(['json', 'html']) === 'html')
      res.redirect(303, '/playground');
    else next();
  });
  // Mirrored by the fast path (http/graphql-fast-path.ts), which answers validated documents before
  // Express: a step added here for GraphQL requests must be added there too (it sets the security
  // headers, no-store and the SQL tally itself).
  app.use(
    '/graphql',
    noStore,
    express.json({ limit: '100kb' }),
    expressMiddleware(apollo, { context: async ({ req, res }) => createContext(services, req, res) }),
  );
  app.use('/api/unsubscribe', noStore, unsubscribeRoutes(services.users, logger));
  app.use('/api/export', noStore, exportRoutes(services, logger));
  app.use('/api/projects', noStore, reportRoutes(services, logger));
  app.use('/api/import', noStore, importRoutes(services, config, logger));
  app.use('/api', noStore, attachmentRoutes(services, config, logger));
  app.use(webClient(config.clientDir));
  app.use(bodyErrorHandler);

  let health: HealthListener | undefined;
  try {
    await eventConsumers.prepare();
    await live.start();
    if (config.healthPort !== null) {
      health = await startHealthListener({
        port: config.healthPort,
        host: config.host,
        probe: databaseHealth,
        logger,
        waitMs: HEALTH_WAIT_MS,
      });
    }
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(config.port, config.host, resolve);
    });
  } catch (error) {
    // Nothing listens: close what was opened, so the database is left checkpointed and closed.
    await health?.close();
    await live.close();
    await apollo.stop();
    await services.limits.close();
    await database.close();
    throw error;
  }
  const address = httpServer.address() as AddressInfo;
  const url = listeningUrl(address);
  // Port 0 (tests): links in messages point to the port the system chose.
  if (config.port === 0 && config.publicUrl === defaultPublicUrl(0)) config.publicUrl = url;
  // Sending runs beside the requests, never inside them: a slow or absent SMTP server slows no mutation.
  if (options.background !== false) {
    eventConsumers.start();
    delivery.start();
    webhookDelivery.start();
  }
  // The SMTP server without its credentials.
  const mailTo = config.smtpUrl ? describeSmtpUrl(config.smtpUrl) : `.eml files in ${config.dataDir}/outbox`;
  logger.info(
    { mail: options.mailer ? 'injected' : mailTo, publicUrl: config.publicUrl },
    'mail delivery started',
  );
  for (const warning of configWarnings(config)) logger.warn({ publicUrl: config.publicUrl }, warning);

  let closing: Promise<void> | undefined;
  return {
    url,
    healthUrl: health?.url ?? null,
    httpServer,
    services,
    logger,
    delivery,
    webhookDelivery,
    eventConsumers,
    operations: compiled.operations,
    live,
    fastPath,
    // Stop accepting, let in-flight requests finish (drain plugin), then the send in flight, then the database.
    close: () =>
      (closing ??= (async () => {
        // A supervisor's check fails from now on: the service is going away.
        await health?.close();
        // Live sockets first (1001): the HTTP server's drain would wait for them.
        await live.close();
        // Requests still arriving on open connections meet Apollo's refusal while it stops.
        fastPath.stop();
        await apollo.stop();
        shedLog.stop();
        loopDelay.stop();
        // Reset requests already answered are looked up before the database closes.
        await services.accounts.settled();
        await eventConsumers.stop();
        await Promise.all([delivery.stop(), webhookDelivery.stop()]);
        await services.mailer.close?.();
        await services.limits.close();
        await database.close();
      })()),
  };
}
