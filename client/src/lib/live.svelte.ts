import { getContextClient, type AnyVariables, type TypedDocumentNode } from '@urql/svelte';
import { untrack } from 'svelte';

/**
 * The live connection (a graphql-ws WebSocket on /graphql, opened only while a page subscribes):
 * - idle: no page listens, no socket;
 * - connecting: the first connection of a page is on its way (nothing to show yet);
 * - live: connected, events arrive;
 * - reconnecting: the connection was lost (or could not be made) and is being tried again;
 * - offline: the browser has no network; tried again as soon as it has.
 */
export type LiveState = 'idle' | 'connecting' | 'live' | 'reconnecting' | 'offline';

export const live = $state<{ state: LiveState }>({ state: 'idle' });

/** Down while a page wants it: what the "Reconnecting…" indicator shows. */
export const liveIsDown = (): boolean => live.state === 'reconnecting' || live.state === 'offline';

// Not state: who listens never shows on screen.
let resumeListeners: (() => void)[] = [];

/** Called by the socket when it is connected again after a loss: each page catches up on what it missed. */
export function liveResumed(): void {
  for (const listener of resumeListeners) listener();
}

/**
 * Runs `listener` each time the connection comes back after a loss, while the calling component lives
 * (a page refetches what it shows, so nothing written while it was down is missed).
 */
export function onLiveResume(listener: () => void): void {
  $effect(() => {
    resumeListeners = [...resumeListeners, listener];
    return () => {
      resumeListeners = resumeListeners.filter((other) => other !== listener);
    };
  });
}

/**
 * Subscribes to `document` while the calling component lives (again when its variables change) and
 * hands each event's data to `onData`. Nothing happens while `pause` says so.
 */
export function useSubscription<Data, Variables extends AnyVariables>(
  document: TypedDocumentNode<Data, Variables>,
  variables: () => Variables,
  onData: (data: Data) => void,
  options: { pause?: () => boolean } = {},
): void {
  const client = getContextClient();
  $effect(() => {
    const vars = variables();
    if (options.pause?.()) return;
    const subscription = client.subscription(document, vars).subscribe((result) => {
      if (result.data) untrack(() => onData(result.data as Data));
    });
    return () => subscription.unsubscribe();
  });
}
