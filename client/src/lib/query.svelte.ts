import {
  getContextClient,
  type AnyVariables,
  type CombinedError,
  type TypedDocumentNode,
} from '@urql/svelte';

export interface QueryState<Data> {
  readonly data: Data | undefined;
  readonly error: CombinedError | undefined;
  readonly fetching: boolean;
  refetch(): void;
}

/**
 * Runs a query while the calling component lives, again whenever the variables read in `variables`
 * change; cached data shows at once and is refreshed from the network behind it.
 */
export function useQuery<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: () => Variables,
  options: { pause?: () => boolean } = {},
): QueryState<Data> {
  const client = getContextClient();
  const state = $state({
    data: undefined as Data | undefined,
    error: undefined as CombinedError | undefined,
    fetching: true,
  });
  let generation = $state(0);

  $effect(() => {
    const vars = variables();
    const forced = generation > 0;
    if (options.pause?.()) {
      state.fetching = false;
      return;
    }
    state.fetching = true;
    const subscription = client
      .query(document, vars, { requestPolicy: forced ? 'network-only' : 'cache-and-network' })
      .subscribe((result) => {
        state.data = result.data ?? (result.error ? undefined : state.data);
        state.error = result.error;
        state.fetching = !!result.stale;
      });
    return () => subscription.unsubscribe();
  });

  return {
    get data() {
      return state.data;
    },
    get error() {
      return state.error;
    },
    get fetching() {
      return state.fetching;
    },
    refetch() {
      generation += 1;
    },
  };
}
