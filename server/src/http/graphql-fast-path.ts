import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  type ApolloServerPlugin,
  type GraphQLRequestContextDidResolveOperation,
  type GraphQLRequestContextWillSendResponse,
  type GraphQLRequestListener,
  HeaderMap,
} from '@apollo/server';
import type { Express, Request, Response } from 'express';
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLFormattedError,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
} from 'graphql';
import Negotiator from 'negotiator';
import proxyaddr from 'proxy-addr';
import type { Logger } from 'pino';
import type { Context, ContextRequest, ContextResponse } from '../context';
import { type QueryTally, runWithQueryTally } from '../database/query-counter';
import type { CompiledOperations } from './compiled-execution';
import { setSecurityHeaders } from './security-headers';

/*
 * POST /graphql without Express or Apollo's HTTP layer, for documents Apollo has already parsed and
 * validated: the web client's pages and integrations send the same few documents over and over, and on
 * `{ me { id } }` the router, the body parser, the content-type and accept checks, Apollo's request
 * object and the answer's ETag took about a third of the request's CPU (issue 11's profiles).
 *
 * What stays the same: the document and its validation (it is Apollo's own, remembered when Apollo
 * resolved its operation), the plugins (the same objects, their hooks called in Apollo's order: the
 * principal, the token budget, the refusal of U+0000, the job limit, the request log), execution
 * (CompiledOperations, as Apollo's gateway executor runs it), and the error mapping (formatError, with
 * Apollo's normalisation: default code, `extensions.http` status and headers, variable refusals as 400).
 *
 * Everything else goes to Express, untouched: another method or path, another content type or
 * encoding, a body over the limit, a document not seen (or not valid) yet, `extensions` (persisted
 * queries), an `Accept` that allows neither JSON type, and subscriptions (refused there).
 */

/** Documents remembered; the least recently used is forgotten beyond it. */
export const KNOWN_OPERATIONS = 500;
/**
 * And at most this size, counted as Apollo's own document store counts (the parsed document as JSON)
 * plus the query text, kept as the key and as the document's source: anyone may send valid documents, and a dense one of 6 kB of text
 * parses into about 1 MB (300 kB as JSON), so 500 of them held 500 MB. About 30 MB of heap at most; the
 * web client's documents weigh 5–30 kB each.
 */
export const KNOWN_OPERATIONS_SIZE = 8 * 1024 * 1024;
/** As express.json({ limit: '100kb' }) in app.ts. */
export const BODY_LIMIT_BYTES = 100 * 1024;

interface KnownOperation {
  document: DocumentNode;
  /** Its weight against KNOWN_OPERATIONS_SIZE, set when it is remembered. */
  size?: number;
  operation: OperationDefinitionNode;
  /** Apollo's hash of the query text: the key CompiledOperations shares with Apollo's executor. */
  queryHash: string;
}

/**
 * One key per text and operation name. No name and an empty name are two requests: Apollo runs a
 * document's only operation for the first and refuses the second ("Unknown operation named """).
 */
function keyOf(query: string, operationName: string | undefined): string {
  return operationName === undefined ? `-\u0000${query}` : `+${operationName}\u0000${query}`;
}

/** Valid documents by their exact text and operation name, as Apollo resolved them. */
export class KnownOperations {
  private readonly entries = new Map<string, KnownOperation>();
  private weight = 0;

  constructor(
    private readonly capacity = KNOWN_OPERATIONS,
    private readonly maxSize = KNOWN_OPERATIONS_SIZE,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  find(query: string, operationName: string | undefined): KnownOperation | undefined {
    const key = keyOf(query, operationName);
    const known = this.entries.get(key);
    if (known) {
      // Most recently used last, so the first key is the one to forget.
      this.entries.delete(key);
      this.entries.set(key, known);
    }
    return known;
  }

  remember(query: string, operationName: string | undefined, known: KnownOperation): void {
    const key = keyOf(query, operationName);
    if (this.entries.has(key)) return;
    // The key, the text again as the document's source, and the parsed document as Apollo counts it.
    const size =
      key.length + (known.document.loc?.source.body.length ?? 0) + JSON.stringify(known.document).length;
    if (size > this.maxSize) return;
    this.entries.set(key, { ...known, size });
    this.weight += size;
    while (this.entries.size > this.capacity || this.weight > this.maxSize) {
      const [oldest, entry] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.weight -= entry.size!;
    }
  }
}

/**
 * Remembers each query and mutation once Apollo has parsed and validated it and found its operation
 * (subscriptions are refused over HTTP, by Apollo). Nothing in a valid document depends on the request.
 */
export function rememberOperationsPlugin(known: KnownOperations): ApolloServerPlugin<Context> {
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation({ source, document, operation, request, queryHash }) {
      if (!operation || operation.operation === 'subscription' || request.extensions?.persistedQuery) return;
      known.remember(source, request.operationName, { document, operation, queryHash });
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

/** What express.json and app.ts's error handler answer for a body they cannot read. */
export function bodyErrorAnswer(type: 'entity.too.large' | 'entity.parse.failed'): {
  status: number;
  body: string;
} {
  const tooLarge = type === 'entity.too.large';
  const message = tooLarge
    ? 'The request body is larger than 100 kB.'
    : 'The request body is not valid JSON.';
  return {
    status: tooLarge ? 413 : 400,
    body: JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT' } }] }),
  };
}

const APPLICATION_JSON = 'application/json; charset=utf-8';
const JSON_TYPES = [
  APPLICATION_JSON,
  'application/graphql-response+json; charset=utf-8',
  'application/json; callbackSpec=1.0; charset=utf-8',
];

/** Apollo's choice of answer type for an Accept header (null: none acceptable), remembered per header. */
const answerTypes = new Map<string, string | null>();

export function answerTypeFor(accept: string | undefined): string | null {
  if (!accept) return APPLICATION_JSON;
  let type = answerTypes.get(accept);
  if (type === undefined) {
    type = new Negotiator({ headers: { accept } }).mediaType(JSON_TYPES) ?? null;
    if (answerTypes.size >= 100) answerTypes.clear();
    answerTypes.set(accept, type);
  }
  return type;
}

/** `application/json`, with at most a UTF-8 charset: what express.json reads as Apollo expects. */
export function isPlainJson(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const [type, ...parameters] = contentType.toLowerCase().split(';');
  if (type.trim() !== 'application/json') return false;
  return parameters.every((parameter) => {
    const [name, value] = parameter.split('=').map((part) => part.trim());
    return name === 'charset' && (value === 'utf-8' || value === '"utf-8"');
  });
}

function isGraphqlPath(url: string | undefined): boolean {
  return url === '/graphql' || (url !== undefined && url.startsWith('/graphql?'));
}

/** Apollo's test for graphql-js's refusal of a variable (requestPipeline.ts), answered 400. */
function isBadUserInputGraphQLError(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) return false;
  const name = node.variable.name.value;
  return (
    error.message.startsWith(`Variable "$${name}" has invalid value`) ||
    error.message.startsWith(`Variable "$${name}" got invalid value `) ||
    error.message.startsWith(`Variable "$${name}" of required type `) ||
    error.message.startsWith(`Variable "$${name}" of non-null type `)
  );
}

function asGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  const cause = error instanceof Error ? error : new Error(`Unexpected error value: ${String(error)}`);
  return new GraphQLError(cause.message, { originalError: cause });
}

/** Every field a plugin hook may read, as Apollo has them by the time it answers. */
type RequestContext = GraphQLRequestContextDidResolveOperation<Context> &
  GraphQLRequestContextWillSendResponse<Context> & { errors: readonly GraphQLError[] };

interface HttpHead {
  status?: number;
  headers: Map<string, string>;
}

export interface FastPathOptions {
  /** Express, which answers every request the fast path does not take. */
  app: Express;
  known: KnownOperations;
  operations: CompiledOperations;
  schema: GraphQLSchema;
  /** The plugins Apollo runs for each request, in Apollo's order (its own built-in ones left out). */
  plugins: readonly ApolloServerPlugin<Context>[];
  createContext: (req: ContextRequest, res: ContextResponse) => Context;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  includeStacktrace: boolean;
  countingQueries: boolean;
  logger: Logger;
}

export interface FastPath {
  listener: RequestListener;
  /** From now on every request goes to Express and Apollo, which refuse them while the service stops. */
  stop(): void;
  /** Requests answered here rather than by Express and Apollo (tests, benchmarks). */
  readonly answered: { count: number };
}

export function graphqlFastPath(options: FastPathOptions): FastPath {
  const { app, known } = options;
  const answered = { count: 0 };
  let stopped = false;

  const listener: RequestListener = (req, res) => {
    const length = Number(req.headers['content-length']);
    const encoding = req.headers['content-encoding'];
    if (
      stopped ||
      req.method !== 'POST' ||
      !isGraphqlPath(req.url) ||
      !isPlainJson(req.headers['content-type']) ||
      (encoding !== undefined && encoding.toLowerCase() !== 'identity') ||
      !(length > 0) ||
      length > BODY_LIMIT_BYTES
    ) {
      app(req, res);
      return;
    }
    readBody(req, length, (text) => {
      if (text === null) {
        // The client sent another length than it announced, or left: Node's parser answers or closes.
        if (!res.headersSent && !res.destroyed) answerBodyError(req, res, 'entity.parse.failed');
        return;
      }
      let body: unknown;
      try {
        // A byte order mark is dropped, as express.json's decoding does.
        body = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch {
        answerBodyError(req, res, 'entity.parse.failed');
        return;
      }
      if (body === null || typeof body !== 'object') {
        // express.json's strict mode: only an object or an array.
        answerBodyError(req, res, 'entity.parse.failed');
        return;
      }
      const request = body as {
        query?: unknown;
        operationName?: unknown;
        variables?: unknown;
        extensions?: unknown;
      };
      const operationName = request.operationName ?? undefined;
      const variables = request.variables ?? undefined;
      const operation =
        !Array.isArray(body) &&
        typeof request.query === 'string' &&
        (operationName === undefined || typeof operationName === 'string') &&
        (variables === undefined || (typeof variables === 'object' && !Array.isArray(variables))) &&
        request.extensions == null
          ? known.find(request.query, operationName)
          : undefined;
      const answerType = operation ? answerTypeFor(req.headers.accept) : null;
      // Read already: Express's body parser sees a finished request and leaves req.body as it is.
      (req as IncomingMessage & { body?: unknown }).body = body;
      if (!operation || !answerType) {
        app(req, res);
        return;
      }
      answered.count += 1;
      const { request: client, response: answering } = withClientFacts(app, req, res);
      const run = () =>
        answer(client, answering, {
          query: request.query as string,
          operationName: operationName as string | undefined,
          variables: variables as Record<string, unknown> | undefined,
          known: operation,
          answerType,
        });
      setSecurityHeaders(client, answering);
      res.setHeader('Cache-Control', 'no-store');
      const settled = options.countingQueries
        ? runWithQueryTally((answering.locals.queryTally = { count: 0 } as QueryTally), run)
        : run();
      settled.catch((error: unknown) => {
        options.logger.error({ err: error }, 'unexpected error');
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const text = JSON.stringify({
          errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }],
        });
        res.writeHead(500, { 'Content-Type': APPLICATION_JSON, 'Content-Length': Buffer.byteLength(text) });
        res.end(text);
      });
    });
  };

  function answerBodyError(
    req: IncomingMessage,
    res: ServerResponse,
    type: 'entity.too.large' | 'entity.parse.failed',
  ): void {
    asExpress(app, req, res);
    setSecurityHeaders(req as Request, res as Response);
    const { status, body } = bodyErrorAnswer(type);
    res.writeHead(status, {
      'Cache-Control': 'no-store',
      'Content-Type': APPLICATION_JSON,
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  /** Apollo's request pipeline (requestPipeline.ts) from the point where the operation is resolved. */
  async function answer(
    req: ContextRequest,
    res: ContextResponse,
    request: {
      query: string;
      operationName: string | undefined;
      variables: Record<string, unknown> | undefined;
      known: KnownOperation;
      answerType: string;
    },
  ): Promise<void> {
    const { document, operation, queryHash } = request.known;
    const contextValue = options.createContext(req, res);
    const head: HttpHead = { status: undefined, headers: new HeaderMap() };
    const requestContext = {
      logger: options.logger,
      schema: options.schema,
      request: {
        query: request.query,
        operationName: request.operationName,
        variables: request.variables,
        extensions: undefined,
        http: undefined,
      },
      response: { http: head, body: undefined as unknown },
      contextValue,
      metrics: {},
      overallCachePolicy: undefined,
      requestIsBatched: false,
      queryHash,
      source: request.query,
      document,
      operation,
      operationName: operation.name?.value ?? null,
      errors: undefined as readonly GraphQLError[] | undefined,
    } as unknown as RequestContext;
    // What the pipeline fills in as it goes (Apollo's own request context is mutable the same way).
    const progress = requestContext as unknown as {
      errors?: readonly GraphQLError[];
      response: { body: unknown };
    };
    const listeners = (
      await allOf(options.plugins, (plugin) => plugin.requestDidStart?.(requestContext))
    ).filter(
      (listener): listener is GraphQLRequestListener<Context> => listener !== undefined && listener !== null,
    );

    const didEncounterErrors = async (errors: readonly GraphQLError[]) => {
      progress.errors = errors;
      await allOf(listeners, (listener) => listener.didEncounterErrors?.(requestContext));
    };
    const send = async (result: ExecutionResult, formatted: GraphQLFormattedError[] | undefined) => {
      progress.response.body = { kind: 'single', singleResult: { ...result, errors: formatted } };
      await allOf(listeners, (listener) => listener.willSendResponse?.(requestContext));
      const body = progress.response.body as {
        singleResult: { errors?: unknown; data?: unknown; extensions?: unknown };
      };
      const { errors, data, extensions } = body.singleResult;
      const text = `${JSON.stringify({ errors, data, extensions })}\n`;
      res.statusCode = head.status ?? 200;
      for (const [name, value] of head.headers) res.setHeader(name, value);
      res.setHeader('Content-Type', request.answerType);
      res.setHeader('Content-Length', Buffer.byteLength(text));
      res.end(text);
    };
    const sendErrors = async (errors: GraphQLError[]) => {
      await didEncounterErrors(errors);
      const formatted = formatErrors(errors, head);
      head.status ??= 500;
      await send({}, formatted);
    };

    try {
      await allOf(listeners, (listener) => listener.didResolveOperation?.(requestContext));
    } catch (error) {
      await sendErrors([asGraphQLError(error)]);
      return;
    }
    let result: ExecutionResult;
    try {
      result = await options.operations.execute({
        key: `${queryHash}\u0000${request.operationName ?? ''}`,
        document,
        operation,
        operationName: request.operationName,
        variables: request.variables,
        context: contextValue,
      });
    } catch (error) {
      await sendErrors([asGraphQLError(error)]);
      return;
    }
    const errors = result.errors?.map((error) =>
      isBadUserInputGraphQLError(error) && error.extensions?.code == null
        ? new GraphQLError(error.message, {
            nodes: error.nodes,
            originalError: error.originalError ?? error,
            extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
          })
        : error,
    );
    let formatted: GraphQLFormattedError[] | undefined;
    if (errors) {
      await didEncounterErrors(errors);
      const fromErrors: HttpHead = { status: undefined, headers: new HeaderMap() };
      formatted = formatErrors(errors, fromErrors);
      // A refused variable: nothing ran (Apollo's status400ForVariableCoercionErrors).
      if (errors.length > 0 && result.data === undefined && !fromErrors.status) fromErrors.status = 400;
      if (fromErrors.status) head.status = fromErrors.status;
      for (const [name, value] of fromErrors.headers) head.headers.set(name, value);
    }
    await send(result, formatted);
  }

  /** Apollo's normalizeAndFormatErrors: a code for every error, `extensions.http` moved to the answer. */
  function formatErrors(errors: readonly GraphQLError[], head: HttpHead): GraphQLFormattedError[] {
    return errors.map((error) => {
      try {
        return options.formatError(enrich(error, head), error);
      } catch (formattingError) {
        return options.includeStacktrace
          ? enrich(asGraphQLError(formattingError), head)
          : { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
      }
    });
  }

  function enrich(error: GraphQLError, head: HttpHead): GraphQLFormattedError {
    const extensions: Record<string, unknown> = {
      ...error.extensions,
      code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR',
    };
    const http = extensions.http as { status?: unknown; headers?: unknown } | undefined;
    if (
      http &&
      typeof http === 'object' &&
      (http.status === undefined || typeof http.status === 'number') &&
      (http.headers === undefined || http.headers instanceof Map)
    ) {
      if (http.status) head.status = http.status as number;
      if (http.headers)
        for (const [name, value] of http.headers as Map<string, string>) head.headers.set(name, value);
      delete extensions.http;
    }
    if (options.includeStacktrace) extensions.stacktrace = error.stack?.split('\n');
    return { ...error.toJSON(), extensions };
  }

  return {
    listener,
    answered,
    stop: () => {
      stopped = true;
    },
  };
}

/** A hook of every plugin that has it, run together as Apollo runs them (Promise.all). */
function allOf<T, R>(items: readonly T[], hook: (item: T) => Promise<R> | undefined): Promise<R[]> {
  const pending: Promise<R>[] = [];
  for (const item of items) {
    const result = hook(item);
    if (result) pending.push(result);
  }
  return Promise.all(pending);
}

/** What Express does to a request before its router (application.js): its request and answer methods. */
function asExpress(app: Express, req: IncomingMessage, res: ServerResponse): void {
  const request = req as Request;
  const response = res as Response;
  request.res = response;
  response.req = request;
  Object.setPrototypeOf(req, app.request);
  Object.setPrototypeOf(res, app.response);
  response.locals ??= Object.create(null) as Response['locals'];
}

/**
 * What a request's context, headers and session cookie read of Express's request (`ip`, `secure`), as
 * own values computed as Express computes them, instead of Express's request and answer as prototypes.
 * Changing the prototype of every request and answer made node:http's own code see objects of many
 * shapes: taking it away measured +21% on `ticket(id)` and +66% on `{ me { id } }` (issue 11). Nothing
 * a GraphQL request runs may use Express's methods (session-cookie.ts writes its header itself).
 */
export function withClientFacts(
  app: Express,
  req: IncomingMessage,
  res: ServerResponse,
): { request: ContextRequest; response: ContextResponse } {
  const trust = app.get('trust proxy fn') as (address: string, hop: number) => boolean;
  const request = req as IncomingMessage & { ip: string | undefined; secure: boolean; res?: ServerResponse };
  const response = res as ServerResponse & { req: IncomingMessage; locals?: ContextResponse['locals'] };
  request.res = response;
  response.req = request;
  response.locals ??= Object.create(null) as ContextResponse['locals'];
  request.ip = proxyaddr(req, trust);
  request.secure = protocolOf(req, trust) === 'https';
  return { request, response: response as ContextResponse };
}

/** Express 5's `req.protocol` (express/lib/request.js): X-Forwarded-Proto only from a trusted proxy. */
function protocolOf(req: IncomingMessage, trust: (address: string, hop: number) => boolean): string {
  const own = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  if (!trust(req.socket.remoteAddress!, 0)) return own;
  const forwarded = req.headers['x-forwarded-proto'];
  const header = (Array.isArray(forwarded) ? forwarded.join(', ') : forwarded) || own;
  const comma = header.indexOf(',');
  return comma !== -1 ? header.substring(0, comma).trim() : header.trim();
}

/**
 * The body, when exactly `length` bytes arrive (the load-shedding line may have read them already and
 * put them back); null if the client sends more or leaves.
 */
function readBody(req: IncomingMessage, length: number, then: (text: string | null) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = (text: string | null) => {
    if (done) return;
    done = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onGone);
    req.off('close', onGone);
    then(text);
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    if (size > length) {
      req.resume();
      finish(null);
      return;
    }
    chunks.push(chunk);
  };
  const onEnd = () =>
    finish(
      size === length ? (chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)).toString('utf8') : null,
    );
  const onGone = () => finish(null);
  req.on('data', onData);
  req.once('end', onEnd);
  req.once('error', onGone);
  req.once('close', onGone);
}
