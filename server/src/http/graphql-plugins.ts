import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from 'pino';
import { loadSession } from '../auth/session-loader';
import type { Context } from '../context';
import { StorageUnavailableError } from '../database/storage-fault';

/** Authenticates once the operation is parsed and valid: a rejected query never reaches the database. */
export const sessionPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue }) {
        await loadSession(contextValue);
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
            if (error.extensions?.code || !error.originalError) continue;
            if (error.originalError instanceof StorageUnavailableError) continue;
            logger.error(
              { operation: operationName ?? null, path: error.path, err: error.originalError },
              'unexpected error',
            );
          }
        },
        async willSendResponse({ response, contextValue, operationName, errors }) {
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
