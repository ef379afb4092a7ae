// A tiny client-side router: the URL is the state, history.pushState changes it, popstate restores it.

export interface RouteMatch {
  name: string;
  params: Record<string, string>;
}

const patterns: [string, RegExp][] = [
  ['home', /^\/$/],
  ['login', /^\/login$/],
  ['register', /^\/register$/],
  ['forgotPassword', /^\/forgot-password$/],
  ['resetPassword', /^\/reset-password$/],
  ['verifyEmail', /^\/verify-email$/],
  ['unsubscribe', /^\/unsubscribe$/],
  ['tickets', /^\/tickets$/],
  ['newTicket', /^\/tickets\/new$/],
  ['ticket', /^\/tickets\/(?<id>\d+)$/],
  ['settings', /^\/settings$/],
  ['projects', /^\/admin\/projects$/],
  ['users', /^\/admin\/users$/],
  // The statistics are the staff's (AGENT and ADMIN); /admin/stats, their first address, still leads there.
  ['stats', /^\/(?:admin\/)?stats$/],
  ['outbox', /^\/admin\/outbox$/],
  ['webhooks', /^\/admin\/webhooks$/],
  ['data', /^\/admin\/data$/],
  ['playground', /^\/playground$/],
];

export function matchRoute(path: string): RouteMatch {
  const clean = path.length > 1 ? path.replace(/\/+$/, '') : path;
  for (const [name, pattern] of patterns) {
    const found = pattern.exec(clean);
    if (found) return { name, params: { ...found.groups } };
  }
  return { name: 'notFound', params: {} };
}

export const route = $state({ path: window.location.pathname, search: window.location.search });

/** The query string of the current address, to read (a snapshot: change the address with navigate). */
// eslint-disable-next-line svelte/prefer-svelte-reactivity -- a throwaway snapshot, never mutated or observed
export const query = (): URLSearchParams => new URLSearchParams(route.search);

/** One parameter of the current query string, '' when absent; read in a rune, it follows the address. */
export const queryParam = (name: string): string => query().get(name) ?? '';

/**
 * Sets parameters of the query string on the current path (an empty value removes one), as a new history
 * entry so the back button returns to the previous view, or in place of the current one with `replace`.
 */
export function setQueryParams(changes: Record<string, string>, { replace = false } = {}) {
  const next = query();
  for (const [name, value] of Object.entries(changes)) {
    if (value) next.set(name, value);
    else next.delete(name);
  }
  const search = next.toString();
  navigate(`${route.path}${search ? `?${search}` : ''}`, { replace, keepScroll: true });
}

function sync() {
  route.path = window.location.pathname;
  route.search = window.location.search;
}

export function currentUrl(): string {
  return route.path + route.search;
}

export function navigate(to: string, options: { replace?: boolean; keepScroll?: boolean } = {}) {
  if (to === currentUrl()) return;
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  sync();
  if (!options.keepScroll) window.scrollTo(0, 0);
}

/** Only same-site paths are allowed after login, so a crafted ?next= cannot send people elsewhere. */
export function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function startRouter() {
  window.addEventListener('popstate', sync);
  // Plain <a href="/..."> links anywhere in the app navigate without a page reload.
  document.addEventListener('click', (event) => {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.('a');
    if (!anchor || anchor.target || anchor.hasAttribute('download')) return;
    // eslint-disable-next-line svelte/prefer-svelte-reactivity -- parsed once to read origin and path
    const url = new URL(anchor.href, window.location.href);
    if (url.origin !== window.location.origin) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
}
