import { createClient, type Client } from 'graphql-ws';
import { live, liveResumed } from './live.svelte';

// The WebSocket of the live updates, in a chunk of its own: api.ts imports this module the first time a
// page subscribes, so the first load of any page does not carry graphql-ws.

/**
 * Close codes by which the server ends a connection because the session is gone (expired, revoked,
 * signed out): trying again would only be refused again, the reader is signed out instead.
 * 4401 is graphql-ws's Unauthorized (no valid credential), 4403 its Forbidden (the session ended while
 * connected: expired, revoked, signed out elsewhere; the server's live/live-connections.ts LIVE_CLOSE).
 * A cookie refused for its page's origin (a proxy that rewrites Host) is 4400: fatal, not a sign-out.
 */
export const SESSION_ENDED_CODES: readonly number[] = [4401, 4403];

/**
 * Codes after which graphql-ws does not try again by itself (its fatal codes: a bad message, 4429 "too
 * many sockets" for this user…): the page is simply not live, no "reconnecting" is promised.
 */
function isFatal(code: number): boolean {
  if (code >= 1000 && code <= 1999) return ![1000, 1001, 1005, 1006, 1012, 1013, 1014].includes(code);
  return [4004, 4005, 4400, 4401, 4406, 4409, 4429, 4500].includes(code);
}

/** Waits after the n-th failed attempt: 1, 2, 4… up to 30 seconds, each with up to 50% random jitter. */
export function retryDelay(retries: number, random = Math.random): number {
  const base = Math.min(30_000, 1_000 * 2 ** Math.min(retries, 5));
  return Math.round(base * (0.5 + random() / 2));
}

/**
 * While the browser says it is offline, attempts are at least this far apart: its return to the network
 * ('online') ends the wait at once, and a server on this machine may answer even offline.
 */
const OFFLINE_RETRY_MS = 10_000;

const PING_EVERY_MS = 15_000;
const PONG_WITHIN_MS = 5_000;

const closeCode = (event: unknown): number | undefined =>
  typeof event === 'object' && event !== null && 'code' in event && typeof event.code === 'number'
    ? event.code
    : undefined;

/**
 * A graphql-ws client on ws(s)://<this host>/graphql (the session cookie goes with it): lazy (open while
 * a subscription is active, closed a moment after the last one ends), trying again forever with backoff
 * and jitter, at most every OFFLINE_RETRY_MS while the browser is offline and at once when it is back; a connection that stops answering pings is
 * dropped and tried again. `onSessionEnded` runs when the server says the session is over.
 */
export function createLiveSocket(onSessionEnded: () => void): Client {
  const protocol = location.protocol === 'https:' ? 'wss' : 'ws';
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let sessionEnded = false;

  const waitForRetry = (retries: number) =>
    new Promise<void>((resolve) => {
      const started = Date.now();
      const delay = retryDelay(retries);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        clearTimeout(timer);
        window.removeEventListener('online', done);
        resolve();
      };
      // An attempt while offline fails for sure (and Chromium logs it as an error): wait for 'online',
      // or OFFLINE_RETRY_MS.
      const due = () => {
        const wait = (navigator.onLine ? delay : Math.max(delay, OFFLINE_RETRY_MS)) - (Date.now() - started);
        if (wait <= 0) done();
        else timer = setTimeout(due, wait);
      };
      timer = setTimeout(due, delay);
      window.addEventListener('online', done);
    });

  const client: Client = createClient({
    url: `${protocol}://${location.host}/graphql`,
    lazy: true,
    // A page that replaces another (list → ticket) keeps the same socket.
    lazyCloseTimeout: 2_000,
    retryAttempts: Infinity,
    retryWait: waitForRetry,
    shouldRetry: (event) => !SESSION_ENDED_CODES.includes(closeCode(event) ?? 0),
    keepAlive: PING_EVERY_MS,
    on: {
      connecting: (isRetry) => {
        if (isRetry) live.state = navigator.onLine ? 'reconnecting' : 'offline';
        else if (live.state !== 'reconnecting' && live.state !== 'offline') live.state = 'connecting';
      },
      connected: (_socket, _payload, wasRetry) => {
        live.state = 'live';
        if (wasRetry) liveResumed();
      },
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        // No answer: the network is gone without a close; terminate() starts the retries at once.
        pongTimer = setTimeout(() => client.terminate(), PONG_WITHIN_MS);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: (event) => {
        clearTimeout(pongTimer);
        const code = closeCode(event);
        if (code !== undefined && SESSION_ENDED_CODES.includes(code)) {
          live.state = 'idle';
          if (!sessionEnded) {
            sessionEnded = true;
            onSessionEnded();
          }
        } else if (code !== undefined && (code === 1000 || isFatal(code))) {
          // Closed by us as no page listens any more, or not to be tried again.
          live.state = 'idle';
        } else {
          live.state = navigator.onLine ? 'reconnecting' : 'offline';
        }
      },
    },
  });
  // The browser knows first when the network is gone: the socket is dropped at once, "Offline" shows,
  // and it is tried again as soon as the browser is back online (waitForRetry).
  window.addEventListener('offline', () => client.terminate());
  return client;
}
