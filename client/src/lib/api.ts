import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/svelte';
import type { Client as LiveSocket } from 'graphql-ws';

/**
 * The one urql client of the app. The session is an httpOnly cookie set by the server, so requests
 * only need to be same-origin; no token is ever kept by the client. Subscriptions go over a WebSocket
 * on the same address (lib/live-socket.ts), loaded and opened the first time a page subscribes.
 */
export function createApiClient(onUnauthenticated: () => void): Client {
  let socket: Promise<LiveSocket> | undefined;
  const liveSocket = () =>
    (socket ??= import('./live-socket').then(
      ({ createLiveSocket }) => createLiveSocket(onUnauthenticated),
      (error: unknown) => {
        // The chunk could not be fetched (offline, a new deployment): the next page tries again.
        socket = undefined;
        throw error;
      },
    ));

  return new Client({
    url: '/graphql',
    // Apollo's CSRF prevention accepts POST with Content-Type: application/json, which urql sends.
    preferGetMethod: false,
    fetchOptions: { credentials: 'same-origin' },
    exchanges: [
      cacheExchange,
      mapExchange({
        onError(error) {
          if (error.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) onUnauthenticated();
        },
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const payload = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              let stop: (() => void) | undefined;
              let stopped = false;
              liveSocket().then(
                (client) => {
                  if (!stopped) stop = client.subscribe(payload, sink);
                },
                (error: unknown) => sink.error(error),
              );
              return {
                unsubscribe() {
                  stopped = true;
                  stop?.();
                },
              };
            },
          };
        },
      }),
    ],
  });
}
