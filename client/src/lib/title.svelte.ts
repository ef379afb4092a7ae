// The document title names the page: "<page> · Simple Ticketing". App.svelte sets it from the route;
// a page that shows one thing (a ticket) names it instead with useDetailTitle while it is shown.

export const APP_NAME = 'Simple Ticketing';

export const pageTitle = $state({ detail: '' });

export function formatTitle(part: string): string {
  return part ? `${part} · ${APP_NAME}` : APP_NAME;
}

/** Called in a page's script: the title follows `get()` while the page is shown, and is released after. */
export function useDetailTitle(get: () => string): void {
  $effect(() => {
    pageTitle.detail = get();
    return () => {
      pageTitle.detail = '';
    };
  });
}
