import { Client, cacheExchange, fetchExchange, mapExchange } from '@urql/svelte';

/**
 * The one urql client of the app. The session is an httpOnly cookie set by the server, so requests
 * only need to be same-origin; no token is ever kept by the client.
 */
export function createApiClient(onUnauthenticated: () => void): Client {
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
    ],
  });
}
