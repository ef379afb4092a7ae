// The link an admin gives reporters: a project's new-ticket form. Signed out, it goes through the login
// page, which greets a reporter, offers to create an account and comes back to the form.

const COPIED_KEY = 'st_reporter_link_copied';

export function reporterLink(projectId: string): string {
  return `${window.location.origin}/tickets/new?project=${encodeURIComponent(projectId)}`;
}

/** Whether a reporter link was copied in this browser (the first-run checklist ticks its step on it). */
export function linkCopiedBefore(): boolean {
  try {
    return localStorage.getItem(COPIED_KEY) === 'true';
  } catch {
    return false;
  }
}

export function rememberLinkCopied(): void {
  try {
    localStorage.setItem(COPIED_KEY, 'true');
  } catch {
    // Not remembered: the checklist's step stays open until tickets come in.
  }
}

/**
 * Puts the text on the clipboard. Refused (an insecure origin, a denied permission, no clipboard at all):
 * returns false, and the caller shows the text selected in a field, for Ctrl+C.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (!navigator.clipboard) return false;
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/** The fallback of a refused copy: the field in focus, its whole text selected. */
export function selectForCopy(input: HTMLInputElement | undefined): void {
  input?.focus();
  input?.select();
}
