import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError } from 'graphql';
import { BadInputError } from '../errors';

export const SUBSCRIPTIONS_OVER_WEBSOCKET =
  'Subscriptions are served over a WebSocket at /graphql (graphql-ws protocol), not over HTTP.';

/**
 * A subscription sent with POST /graphql is refused as bad input (400) before anything runs: graphql-js
 * would execute its fields once, as a query, without an event.
 */
export const subscriptionsOverHttpPlugin: ApolloServerPlugin = {
  async requestDidStart() {
    return {
      async didResolveOperation({ operation }) {
        if (operation?.operation !== 'subscription') return;
        const error = BadInputError.field('query', 'notAllowed', SUBSCRIPTIONS_OVER_WEBSOCKET);
        throw new GraphQLError(error.message, {
          originalError: error,
          extensions: { ...error.extensions, http: { status: 400 } },
        });
      },
    };
  },
};
