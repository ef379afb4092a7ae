// Single-key shortcuts, as on GitHub: c new ticket, / search, j/k move through a ticket list, Enter opens
// the selected ticket, ? lists them. A key typed into a field, or pressed with Ctrl, Meta or Alt, is the
// browser's and the field's, never ours.
import { tick } from 'svelte';
import { navigate, route } from './router.svelte';

export const shortcuts = $state({ helpOpen: false });

/** The keys and what they do, in the order the help dialog lists them (labels are message keys). */
export const shortcutList = [
  { keys: ['c'], label: 'shortcuts.newTicket' },
  { keys: ['/'], label: 'shortcuts.search' },
  { keys: ['j'], label: 'shortcuts.next' },
  { keys: ['k'], label: 'shortcuts.previous' },
  { keys: ['Enter'], label: 'shortcuts.open' },
  { keys: ['?'], label: 'shortcuts.help' },
] as const;

const LIST_SEARCH = '#f-search';
const ROW = '.ticket-row';
const ROW_LINK = '.ticket-link';

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  return !!target.closest('input, textarea, select, [contenteditable]:not([contenteditable="false"])');
}

/** The rows of every ticket list on the page, in reading order (home sections, the ticket list). */
function ticketRows(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>(`main ${ROW}`)].filter((row) => row.offsetParent);
}

/** Moves the selection (the focused row link) by one row; from nowhere, j starts at the first row. */
function moveSelection(step: 1 | -1): boolean {
  const rows = ticketRows();
  if (!rows.length) return false;
  const current = rows.findIndex((row) => row.contains(document.activeElement));
  const next =
    current === -1
      ? step === 1
        ? 0
        : rows.length - 1
      : Math.min(rows.length - 1, Math.max(0, current + step));
  const link = rows[next].querySelector<HTMLElement>(ROW_LINK);
  link?.focus();
  link?.scrollIntoView({ block: 'nearest' });
  return true;
}

async function focusSearch() {
  if (route.path !== '/tickets') {
    navigate('/tickets');
    await tick();
  }
  // The list is its own chunk: its search box may appear a moment after the address changes.
  for (let attempt = 0; attempt < 50; attempt++) {
    const box = document.querySelector<HTMLInputElement>(LIST_SEARCH);
    if (box) {
      box.focus();
      box.select();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

/** Listens for the shortcuts while `enabled()` (signed in); returns the function that stops listening. */
export function installShortcuts(enabled: () => boolean): () => void {
  function onKeydown(event: KeyboardEvent) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (!enabled() || shortcuts.helpOpen || isTyping(event.target)) return;
    // A modal dialog of a page (a confirmation) keeps the keyboard to itself.
    if (document.querySelector('dialog[open]')) return;
    switch (event.key) {
      case '?':
        shortcuts.helpOpen = true;
        break;
      case 'c':
        navigate('/tickets/new');
        break;
      case '/':
        void focusSearch();
        break;
      case 'j':
        if (!moveSelection(1)) return;
        break;
      case 'k':
        if (!moveSelection(-1)) return;
        break;
      default:
        return;
    }
    event.preventDefault();
  }
  document.addEventListener('keydown', onKeydown);
  return () => document.removeEventListener('keydown', onKeydown);
}
