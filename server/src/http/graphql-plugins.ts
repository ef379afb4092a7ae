import type { ApolloServerPlugin } from '@apollo/server';
import { BREAK, type DocumentNode, GraphQLError, Kind, visit } from 'graphql';
import type { Logger } from 'pino';
import { operationCost } from '../api-tokens/operation-cost';
import { loadPrincipal } from '../auth/principal-loader';
import { canWrite } from '../auth/principal';
import type { Context } from '../context';
import { StorageUnavailableError } from '../database/storage-fault';
import { AppError, BadInputError, ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors';
import { holdsNul, nulMessage } from '../text';
import { authProblemMessages } from '../auth/auth-checker';
import { refusedArgument } from './graphql-errors';
import { MAX_JOBS_PER_REQUEST, tooManyJobs } from '../tickets/ticket.resolver';

/**
 * A request refused before execution answers with its own HTTP status (Apollo reads `extensions.http`
 * and leaves it out of the body); otherwise Apollo would answer 500 for an error thrown in a plugin.
 */
function withHttpStatus(error: AppError, status: number, headers: Record<string, string> = {}): GraphQLError {
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { ...error.extensions, http: { status, headers: new Map(Object.entries(headers)) } },
  });
}

/**
 * Authenticates once the operation is parsed and valid (a rejected query never reaches the database),
 * then applies what an API token's scope and budget allow, before any resolver runs.
 */
export const principalPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, document, operation, schema, request }) {
        await loadPrincipal(contextValue);
        // An integration whose token was revoked or expired learns it at once, whatever it asks
        // (GitHub's 401 "Bad credentials"); a browser's ended session still reads `me` as null.
        const problem = contextValue.authProblem;
        if (problem === 'tokenInvalid' || problem === 'tokenExpired') {
          throw withHttpStatus(new UnauthenticatedError(authProblemMessages[problem]), 401);
        }
        const principal = contextValue.principal;
        if (principal?.kind !== 'token' || !operation) return;
        const requested = operationCost(schema, document, operation, request.variables ?? {});
        if (operation.operation === 'mutation' && !canWrite(principal)) {
          contextValue.cost = await contextValue.services.tokenBudget.peek(principal.tokenId, requested);
          throw withHttpStatus(
            new ForbiddenError('This API token is read-only (scope READ): it cannot run mutations.'),
            403,
          );
        }
        const outcome = await contextValue.services.tokenBudget.spend(principal.tokenId, requested);
        contextValue.cost = outcome.cost;
        if (!outcome.ok) {
          throw withHttpStatus(
            new RateLimitedError(
              `This API token has spent its ${contextValue.services.tokenBudget.pointsPerHour} points for this hour (this request costs ${requested}); it is whole again at ${outcome.cost.resetAt}.`,
              outcome.retryAfterSeconds,
            ),
            429,
            { 'retry-after': String(outcome.retryAfterSeconds) },
          );
        }
      },
      // Every answer to an API token says what is left, errors included (GitHub's rateLimit, Shopify's cost).
      async willSendResponse({ contextValue, response }) {
        if (!contextValue.cost || response.body.kind !== 'single') return;
        const result = response.body.singleResult;
        result.extensions = { ...result.extensions, cost: contextValue.cost };
      },
    };
  },
};

/** Where each variable is used: the argument or input field it is given to, which names it to the client. */
function variableUses(document: DocumentNode): Map<string, string> {
  const uses = new Map<string, string>();
  visit(document, {
    Argument(node) {
      if (node.value.kind === Kind.VARIABLE) uses.set(node.value.name.value, node.name.value);
    },
    ObjectField(node) {
      if (node.value.kind === Kind.VARIABLE) uses.set(node.value.name.value, node.name.value);
    },
  });
  return uses;
}

/**
 * The input field (the innermost key) of a text in a variable's value that holds U+0000; a loop, not a
 * recursion, since a hostile value may be nested thousands deep (coercion refuses it afterwards).
 */
function fieldHoldingNul(value: unknown, field: string): string | null {
  const pending: [unknown, string][] = [[value, field]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, key] = next;
    if (typeof item === 'string') {
      if (holdsNul(item)) return key;
    } else if (Array.isArray(item)) {
      for (const element of item) pending.push([element, key]);
    } else if (item !== null && typeof item === 'object') {
      for (const [childKey, child] of Object.entries(item)) pending.push([child, childKey]);
    }
  }
  return null;
}

/** The argument or input field of the first string written in the document that holds U+0000. */
function literalHoldingNul(document: DocumentNode): string | null {
  let found: string | null = null;
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (!holdsNul(node.value)) return undefined;
      const owner = [...ancestors, parent].reverse().find((ancestor) => {
        const kind = (ancestor as { kind?: Kind }).kind;
        return kind === Kind.ARGUMENT || kind === Kind.OBJECT_FIELD || kind === Kind.VARIABLE_DEFINITION;
      }) as { kind: Kind; name?: { value: string }; variable?: { name: { value: string } } } | undefined;
      found = owner?.name?.value ?? owner?.variable?.name.value ?? 'query';
      return BREAK;
    },
  });
  return found;
}

/** What a document says of its text, read once per document: Apollo hands the same parsed one again. */
const textOfDocuments = new WeakMap<DocumentNode, { uses: Map<string, string>; literal: string | null }>();

function documentText(document: DocumentNode): { uses: Map<string, string>; literal: string | null } {
  let text = textOfDocuments.get(document);
  if (!text)
    textOfDocuments.set(
      document,
      (text = { uses: variableUses(document), literal: literalHoldingNul(document) }),
    );
  return text;
}

/**
 * Text holding U+0000 is refused before anything runs, in every argument of every operation, whether
 * sent as a variable or written in the query (text.ts says why), as bad input naming the field.
 */
export const storableTextPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ document, request }) {
        const { uses, literal } = documentText(document);
        let field: string | null = null;
        for (const [name, value] of Object.entries(request.variables ?? {})) {
          field = fieldHoldingNul(value, uses.get(name) ?? name);
          if (field) break;
        }
        field ??= literal;
        if (field) throw withHttpStatus(BadInputError.field(field, 'format', nulMessage(field)), 400);
      },
    };
  },
};

/**
 * A request that listed too many jobs is refused whole, with one error: not a partial answer, and not
 * one error per ticket whose jobs came after the limit (thousands, for a nested query).
 */
export const jobListLimitPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue, response }) {
        if (contextValue.jobsListed <= MAX_JOBS_PER_REQUEST || response.body.kind !== 'single') return;
        const { message, extensions } = tooManyJobs();
        response.body.singleResult = {
          data: null,
          errors: [{ message, extensions: { ...extensions } }],
          extensions: response.body.singleResult.extensions,
        };
      },
    };
  },
};

/** One log line per GraphQL request: operation, duration, outcome and SQL statement count. */
export function requestLogPlugin(logger: Logger): ApolloServerPlugin<Context> {
  return {
    async requestDidStart({ request }) {
      const started = process.hrtime.bigint();
      return {
        // Clients get "Internal server error." without details; the details go to the log, once.
        async didEncounterErrors({ errors, operationName }) {
          for (const error of errors) {
            // Storage faults are logged once, by the database, with their SQLite code.
            if (error.extensions?.code || !error.originalError || refusedArgument(error)) continue;
            if (error.originalError instanceof StorageUnavailableError) continue;
            logger.error(
              { operation: operationName ?? null, path: error.path, err: error.originalError },
              'unexpected error',
            );
          }
        },
        async willSendResponse({ response, contextValue, operationName, errors }) {
          if (!logger.isLevelEnabled('info')) return;
          const body = response.body;
          const resultErrors = body.kind === 'single' ? body.singleResult.errors : undefined;
          const codes = [...(errors ?? []), ...(resultErrors ?? [])]
            .map((error) => String(error.extensions?.code ?? 'INTERNAL_SERVER_ERROR'))
            .filter((code, index, all) => all.indexOf(code) === index);
          logger.info(
            {
              operation: operationName ?? request.operationName ?? null,
              ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
              status: response.http.status ?? 200,
              errors: codes.length > 0 ? codes : undefined,
              sql: contextValue.res.locals.queryTally?.count,
              user: contextValue.user?.id,
            },
            'graphql',
          );
        },
      };
    },
  };
}
