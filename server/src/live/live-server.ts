import type http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Request, Response } from 'express';
import {
  type DocumentNode,
  type ExecutionArgs,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  type ValidationRule,
  getOperationAST,
  getVariableValues,
  parse,
  specifiedRules,
  validate,
} from 'graphql';
import {
  CloseCode,
  type Context as WsContext,
  type Server,
  type SubscribePayload,
  handleProtocols,
  makeServer,
} from 'graphql-ws';
import type { Logger } from 'pino';
import { WebSocketServer, type WebSocket } from 'ws';
import { operationCost } from '../api-tokens/operation-cost';
import { authProblemMessages } from '../auth/auth-checker';
import { type PresentedCredential, type Principal, authenticate } from '../auth/principal';
import { BackgroundLoop } from '../background/loop';
import { presentedToken } from '../context';
import { AppError, BadInputError, RateLimitedError } from '../errors';
import { formatError } from '../http/graphql-errors';
import { createLoaders } from '../loaders';
import type { Services } from '../services';
import { MAX_JOBS_PER_REQUEST, tooManyJobs } from '../tickets/ticket.resolver';
import { EVENT_CHANNEL } from '../events/event-log';
import {
  LIVE_CLOSE,
  LIVE_LIMITS,
  type LiveConnection,
  LiveConnections,
  SESSION_ENDED,
  SESSION_EXPIRED,
  SubscribeRate,
  TOKEN_ENDED,
  TOO_SLOW,
  closeReason,
  endedConnections,
} from './live-connections';
import { listBeyondTheEvent } from './event-selection';
import type { LiveContext } from './live-subscriptions';
import { PostgresListener } from './postgres-listener';

export interface LiveServerOptions {
  httpServer: http.Server;
  services: Services;
  schema: GraphQLSchema;
  /** The same document limits as the HTTP route (graphql-armor's rules). */
  validationRules: readonly ValidationRule[];
  /** The same token limit as the HTTP route's parser. */
  maxTokens: number;
  /** The service's public address: a cookie connection must come from its pages (or the Host's). */
  publicUrl: () => string;
  logger: Logger;
  development: boolean;
  /** The PostgreSQL URL: other instances' events arrive by LISTEN/NOTIFY. Empty on SQLite. */
  postgresUrl?: string;
  /** Other PostgreSQL channels heard on the same listening connection (the session cache's). */
  alsoListen?: Record<string, () => void>;
  /** Told when the listening connection is up (true) and when it drops (false). */
  onListening?: (listening: boolean) => void;
}

/** What graphql-ws knows of a socket besides its messages. */
interface Extra {
  readonly socket: WebSocket;
  readonly request: http.IncomingMessage;
}

/** How long the service's stop waits for sockets to answer its close frame before cutting them. */
const CLOSE_GRACE_MS = 1000;

/** A ping this often; a socket that does not answer before the next is cut (a vanished peer). */
const KEEP_ALIVE_MS = 12_000;

/** Where the socket is served: the API's own address. */
export const LIVE_PATH = '/graphql';

export const SUBSCRIPTIONS_ONLY =
  'Only subscriptions are served over the WebSocket: send queries and mutations with POST /graphql.';

/** Whether the page that opens the socket is one of this service's: its origin is the Host's or the public URL's. */
export function isOwnOrigin(origin: string, host: string | undefined, publicUrl: string): boolean {
  try {
    const from = new URL(origin);
    return from.host === host || from.origin === new URL(publicUrl).origin;
  } catch {
    return false;
  }
}

/** A refusal as graphql-ws sends it: the AppError inside, so formatError maps it like on HTTP. */
function refusal(error: AppError): GraphQLError {
  return new GraphQLError(error.message, { originalError: error, extensions: { ...error.extensions } });
}

/** graphql-js's own errors (syntax, validation) carry no code; the HTTP route tags them the same way. */
function tagged(error: GraphQLError, code: string): GraphQLError {
  if (error.extensions?.code) return error;
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: { ...error.extensions, code },
  });
}

/** One socket: its principal (from connection_init) and how to end it. */
class SocketConnection implements LiveConnection {
  private expiry: NodeJS.Timeout | undefined;
  private closed = false;
  readonly subscribes = new SubscribeRate();

  constructor(
    readonly socket: WebSocket,
    public principal: Principal,
    readonly credential: PresentedCredential,
  ) {}

  end(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.expiry);
    this.socket.close(code, closeReason(reason));
  }

  /** A session is closed at its expiry, without waiting for the periodic check. */
  expireAt(expiresAtMs: number, nowMs: number): void {
    clearTimeout(this.expiry);
    const wait = Math.min(Math.max(expiresAtMs - nowMs, 0), 2 ** 31 - 1);
    this.expiry = setTimeout(() => this.end(LIVE_CLOSE.forbidden, SESSION_EXPIRED), wait).unref();
  }

  released(): void {
    this.closed = true;
    clearTimeout(this.expiry);
  }
}

/**
 * GraphQL subscriptions over graphql-ws on the HTTP server's port, at /graphql only. Authenticates at
 * connection_init (session cookie from this site's pages, or a Bearer token in the payload), counts
 * sockets per user, validates every document with the HTTP route's rules, serves subscriptions only,
 * and closes a socket whose session ends (checked on local commits and every LIVE_LIMITS.recheckMs).
 */
export class LiveServer {
  readonly connections = new LiveConnections();
  private readonly bySocket = new Map<WebSocket, SocketConnection>();
  private readonly wss: WebSocketServer;
  private readonly server: Server<Extra>;
  private readonly sessionCheck: BackgroundLoop;
  private readonly listener: PostgresListener | undefined;
  private readonly onUpgrade = (request: http.IncomingMessage, socket: Duplex, head: Buffer) =>
    this.upgrade(request, socket, head);
  private readonly onCommit = () => {
    if (this.bySocket.size > 0) this.sessionCheck.nudge();
  };

  constructor(private readonly options: LiveServerOptions) {
    const { services, logger } = options;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: LIVE_LIMITS.maxPayloadBytes,
      handleProtocols,
    });
    this.wss.on('connection', (socket, request) => this.opened(socket, request));
    this.server = makeServer<Record<string, unknown> | undefined, Extra>({
      connectionInitWaitTimeout: LIVE_LIMITS.connectionInitWaitMs,
      onConnect: (ctx) => this.connect(ctx),
      onSubscribe: (ctx, id, payload) => this.subscribe(ctx, payload),
      onNext: (_ctx, _id, _payload, args, result) => {
        // An event whose document listed too many jobs is refused whole, as jobListLimitPlugin does.
        if ((args.contextValue as LiveContext).jobsListed > MAX_JOBS_PER_REQUEST) {
          const { message, extensions } = tooManyJobs();
          return { data: null, errors: [{ message, extensions: { ...extensions } }] };
        }
        return {
          ...result,
          ...(result.errors ? { errors: result.errors.map((error) => this.format(error)) } : {}),
        };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => this.format(error)),
      onClose: (ctx) => this.release(ctx.extra.socket),
    });
    this.sessionCheck = new BackgroundLoop(() => this.checkSessions(), {
      intervalMs: LIVE_LIMITS.recheckMs,
      // A burst of commits makes one check, at most four a second: three statements for every socket.
      debounceMs: 250,
      onError: (error) => logger.error({ err: error }, 'live updates failed to check sessions'),
    });
    this.listener = options.postgresUrl
      ? new PostgresListener(
          options.postgresUrl,
          { ...options.alsoListen, [EVENT_CHANNEL]: () => services.live.wake() },
          logger,
          options.onListening,
        )
      : undefined;
  }

  async start(): Promise<void> {
    await this.options.services.live.start();
    await this.listener?.start();
    this.options.services.database.on('committed', this.onCommit);
    this.sessionCheck.start();
    this.options.httpServer.on('upgrade', this.onUpgrade);
  }

  /** Every socket is closed (1001 Going away) and the feed stopped, before the database closes. */
  async close(): Promise<void> {
    this.options.httpServer.off('upgrade', this.onUpgrade);
    this.options.services.database.off('committed', this.onCommit);
    await this.sessionCheck.stop();
    for (const connection of this.bySocket.values()) connection.released();
    const sockets = [...this.wss.clients];
    const allClosed = Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            if (socket.readyState === socket.CLOSED) return resolve();
            socket.once('close', () => resolve());
            socket.close(LIVE_CLOSE.goingAway, 'The service is stopping.');
          }),
      ),
    );
    // A peer that does not answer the close handshake within a second (gone without a word) is cut.
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([allClosed, new Promise((resolve) => (grace = setTimeout(resolve, CLOSE_GRACE_MS)))]);
    clearTimeout(grace);
    for (const socket of this.wss.clients) socket.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await this.listener?.stop();
    await this.options.services.live.stop();
  }

  /** Runs the session check now (tests). */
  recheckNow(): Promise<void> {
    return this.sessionCheck.exclusive(() => this.checkSessions().then(() => undefined));
  }

  private upgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    let path: string;
    try {
      path = new URL(request.url ?? '/', 'http://localhost').pathname;
    } catch {
      path = '';
    }
    if (path !== LIVE_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => this.wss.emit('connection', ws, request));
  }

  /**
   * graphql-ws's server on one ws socket (what its use/ws does), with the service's log instead of the
   * console: an oversized message is the client's fault (ws has closed with 1009), not an internal error.
   */
  private opened(socket: WebSocket, request: http.IncomingMessage): void {
    const { logger } = this.options;
    socket.once('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH')
        logger.info({ limit: LIVE_LIMITS.maxPayloadBytes }, 'live socket closed: message too large');
      else logger.warn({ err: error }, 'live socket error');
      socket.close(CloseCode.InternalServerError, 'Internal server error');
    });
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (socket.readyState !== socket.OPEN) return;
      pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS).unref();
      socket.once('pong', () => clearTimeout(pongWait));
      socket.ping();
    }, KEEP_ALIVE_MS).unref();
    const closed = this.server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise<void>((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            // A peer that sends (pings, refused subscribes) but never reads cannot make the server
            // hold its answers without end.
            if (socket.bufferedAmount > LIVE_LIMITS.maxBufferedBytes) {
              const connection = this.bySocket.get(socket);
              if (connection) connection.end(LIVE_CLOSE.tooSlow, TOO_SLOW);
              else socket.close(LIVE_CLOSE.tooSlow, TOO_SLOW);
              return resolve();
            }
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            handle(String(data)).catch((error: unknown) => {
              logger.error({ err: error }, 'live socket message failed');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, request },
    );
    socket.once('close', (code, reason) => {
      clearTimeout(pongWait);
      clearInterval(ping);
      void closed(code, String(reason));
    });
  }

  /** connection_init: who is connecting, from the payload's Bearer token or the upgrade's cookie/header. */
  private async connect(ctx: WsContext<Record<string, unknown> | undefined, Extra>): Promise<boolean> {
    const { socket, request } = ctx.extra;
    const refuse = (code: number, reason: string) => {
      socket.close(code, closeReason(reason));
      return false;
    };
    const given = ctx.connectionParams?.authorization ?? ctx.connectionParams?.Authorization;
    let credential: PresentedCredential | null;
    if (given !== undefined) {
      const match = typeof given === 'string' ? /^Bearer\s+(\S+)$/i.exec(given) : null;
      if (!match)
        return refuse(LIVE_CLOSE.unauthorized, 'Unauthorized: send { "authorization": "Bearer <token>" }.');
      credential = { value: match[1], from: 'header' };
    } else {
      credential = presentedToken(request as Request);
      if (
        credential?.from === 'cookie' &&
        request.headers.origin !== undefined &&
        !isOwnOrigin(request.headers.origin, request.headers.host, this.options.publicUrl())
      ) {
        return refuse(
          LIVE_CLOSE.foreignOrigin,
          'Forbidden: a page of another site cannot use the session cookie; send a Bearer token.',
        );
      }
    }
    if (!credential)
      return refuse(
        LIVE_CLOSE.unauthorized,
        'Unauthorized: sign in, or send { "authorization": "Bearer <token>" } in connection_init.',
      );
    const outcome = await authenticate(this.options.services.authenticators, credential);
    if (typeof outcome === 'string')
      return refuse(LIVE_CLOSE.unauthorized, `Unauthorized: ${authProblemMessages[outcome]}`);
    if (socket.readyState !== socket.OPEN) return false;
    const connection = new SocketConnection(socket, outcome, credential);
    if (!this.connections.admit(connection)) {
      return refuse(
        LIVE_CLOSE.tooMany,
        `Too many connections: at most ${LIVE_LIMITS.connectionsPerUser} per user; close one first.`,
      );
    }
    this.bySocket.set(socket, connection);
    if (outcome.kind === 'session')
      connection.expireAt(outcome.claims.exp * 1000, this.options.services.clock.now().getTime());
    return true;
  }

  private release(socket: WebSocket): void {
    const connection = this.bySocket.get(socket);
    if (!connection) return;
    this.bySocket.delete(socket);
    this.connections.remove(connection);
    connection.released();
  }

  /** A subscribe message: checked like an HTTP request (size, validation, who), then run by graphql-js. */
  private async subscribe(
    ctx: WsContext<Record<string, unknown> | undefined, Extra>,
    payload: SubscribePayload,
  ): Promise<ExecutionArgs | readonly GraphQLError[]> {
    const connection = this.bySocket.get(ctx.extra.socket);
    if (!connection) return [refusal(new AppError('Not connected.', 'UNAUTHENTICATED'))];
    const wait = connection.subscribes.take(Date.now());
    if (wait !== null) {
      return [
        refusal(
          new RateLimitedError(
            `At most ${LIVE_LIMITS.subscribesPerMinute} subscribe messages a minute on one connection: wait ${wait} s.`,
            wait,
          ),
        ),
      ];
    }
    if (Object.keys(ctx.subscriptions).length > LIVE_LIMITS.subscriptionsPerConnection) {
      return [
        refusal(
          BadInputError.field(
            'subscription',
            'limitReached',
            `At most ${LIVE_LIMITS.subscriptionsPerConnection} subscriptions at once on one connection: complete one first.`,
          ),
        ),
      ];
    }
    const { schema } = this.options;
    let document: DocumentNode;
    try {
      document = parse(payload.query, { maxTokens: this.options.maxTokens });
    } catch (error) {
      return [tagged(error as GraphQLError, 'GRAPHQL_PARSE_FAILED')];
    }
    const invalid = validate(schema, document, [...specifiedRules, ...this.options.validationRules]);
    if (invalid.length > 0) return invalid.map((error) => tagged(error, 'GRAPHQL_VALIDATION_FAILED'));
    const operation = getOperationAST(document, payload.operationName);
    if (!operation)
      return [
        tagged(
          new GraphQLError('Name the operation to run (operationName): the document has several, or none.'),
          'OPERATION_RESOLUTION_FAILURE',
        ),
      ];
    if (operation.operation !== 'subscription') {
      return [refusal(BadInputError.field('query', 'notAllowed', SUBSCRIPTIONS_ONLY))];
    }
    const list = listBeyondTheEvent(schema, document, operation);
    if (list) {
      return [
        refusal(
          BadInputError.field(
            'query',
            'notAllowed',
            `A subscription lists nothing beyond its event's job: read ${list} with a query when the event arrives.`,
          ),
        ),
      ];
    }
    // Variables of the wrong type, or missing: the client's input, answered as Apollo answers it on HTTP
    // (graphql-js would report them from subscribe() without a code, read as an internal error).
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], payload.variables ?? {}, {
      maxErrors: 10,
    });
    if (coerced.errors) return coerced.errors.map((error) => tagged(error, 'BAD_USER_INPUT'));
    // The credential again, as on every HTTP request: the user as they are now, the session still valid.
    const outcome = await authenticate(this.options.services.authenticators, connection.credential);
    if (typeof outcome === 'string') {
      connection.end(
        LIVE_CLOSE.forbidden,
        connection.principal.kind === 'token' ? TOKEN_ENDED : SESSION_ENDED,
      );
      return [refusal(new AppError(authProblemMessages[outcome], 'UNAUTHENTICATED'))];
    }
    connection.principal = outcome;
    if (outcome.kind === 'token') {
      // An API token pays for a subscription once, as for the same document over HTTP; events are free.
      const variables = (payload.variables ?? {}) as Record<string, unknown>;
      const requested = operationCost(schema, document, operation, variables);
      const spent = await this.options.services.tokenBudget.spend(outcome.tokenId, requested);
      if (!spent.ok) {
        return [
          refusal(
            new RateLimitedError(
              `This API token has spent its points for this hour (this subscription costs ${requested}); it is whole again at ${spent.cost.resetAt}.`,
              spent.retryAfterSeconds,
            ),
          ),
        ];
      }
    }
    return {
      schema,
      document,
      operationName: payload.operationName,
      variableValues: payload.variables,
      contextValue: this.contextFor(connection, ctx.extra.request),
    };
  }

  private contextFor(connection: SocketConnection, request: http.IncomingMessage): LiveContext {
    const { services } = this.options;
    const context: LiveContext = {
      services,
      principal: connection.principal,
      user: connection.principal.user,
      authProblem: null,
      presentedToken: null,
      cost: null,
      jobsListed: 0,
      clientAddress: request.socket.remoteAddress ?? 'unknown',
      loaders: createLoaders(services.database, () => context.user),
      // Only mutations (refused here) use the HTTP request and answer (the session cookie).
      req: request as Request,
      res: { locals: {} } as Response,
      live: connection,
    };
    return context;
  }

  /** The HTTP route's mapping (graphql-errors.ts); an unexpected error is logged, once, and sent bare. */
  private format(error: GraphQLError): GraphQLFormattedError {
    const formatted = formatError(error.toJSON(), error, this.options.development);
    if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR')
      this.options.logger.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error');
    return formatted;
  }

  private async checkSessions(): Promise<boolean> {
    const open = [...this.bySocket.values()];
    if (open.length === 0) return false;
    const { services } = this.options;
    const ended = await endedConnections(services.database.manager, open, services.clock.now());
    for (const [connection, reason] of ended) connection.end(LIVE_CLOSE.forbidden, reason);
    return false;
  }
}
