import { getContextClient, type AnyVariables, type TypedDocumentNode } from '@urql/svelte';
import { graphql } from './graphql';
import { onLiveResume, useSubscription } from './live.svelte';

const JobAddedSubscription = graphql(`
  subscription JobAdded($projectId: ID) {
    jobAdded(projectId: $projectId) {
      id
    }
  }
`);

/** Jobs written together (a bulk change, a burst of comments) refresh a list once. */
export const LIVE_REFRESH_DELAY_MS = 400;

/**
 * Keeps a list up to date while the calling component lives: a moment after any job the reader may see
 * is written, and when the live connection comes back after a loss, `document` is fetched again with
 * the current `variables`, from the network. The answer reaches the page's own query of the same
 * document and variables (urql shares results by operation), so the rows change in place: no spinner,
 * the scroll position and the keyboard focus stay where they are.
 */
export function useLiveRefresh<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: () => Variables,
): void {
  const client = getContextClient();
  let timer: ReturnType<typeof setTimeout> | undefined;

  function refresh() {
    clearTimeout(timer);
    timer = undefined;
    void client.query(document, variables(), { requestPolicy: 'network-only' }).toPromise();
  }

  useSubscription(
    JobAddedSubscription,
    () => ({}),
    () => {
      timer ??= setTimeout(refresh, LIVE_REFRESH_DELAY_MS);
    },
  );
  onLiveResume(refresh);
  $effect(() => () => clearTimeout(timer));
}
