import type { Client } from '@urql/svelte';
import { createApiClient } from './api';
import { onSessionExpired } from './session.svelte';

/**
 * The current urql client. It is replaced on logout and on session expiry, so nothing the previous
 * user could see stays in the cache; the app re-mounts its pages under the new one.
 */
export const api = $state<{ client: Client; generation: number }>({
  client: createApiClient(expire),
  generation: 0,
});

function expire() {
  resetApiClient();
  onSessionExpired();
}

export function resetApiClient() {
  api.client = createApiClient(expire);
  api.generation += 1;
}
