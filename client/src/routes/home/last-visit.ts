// "New since your last visit", remembered per person in this browser. A visit is a browser tab's stay:
// localStorage keeps when the person last saw their home; the tab keeps (in sessionStorage) the time of
// the visit before it, so coming back to the home within the same visit does not clear the marks.

const lastSeenKey = (userId: string) => `st_home_seen:${userId}`;
const baselineKey = (userId: string) => `st_home_since:${userId}`;

function read(storage: Storage, key: string): string | null {
  try {
    return storage.getItem(key);
  } catch {
    return null;
  }
}

function write(storage: Storage, key: string, value: string): void {
  try {
    storage.setItem(key, value);
  } catch {
    // Storage refused (private mode, quota): the marks are a convenience, the page works without them.
  }
}

/**
 * Records this view of the home and returns the end of the previous visit (ISO time), or null on the
 * first visit in this browser, when nothing is marked.
 */
export function previousVisit(userId: string, now = new Date()): string | null {
  let since = read(sessionStorage, baselineKey(userId));
  if (since === null) {
    since = read(localStorage, lastSeenKey(userId)) ?? '';
    write(sessionStorage, baselineKey(userId), since);
  }
  write(localStorage, lastSeenKey(userId), now.toISOString());
  return since || null;
}

interface FeedJob {
  author: { id: string };
  ticket: { id: string };
}

/** The tickets someone else changed since the previous visit, from the history feed's jobs since then. */
export function changedByOthers(jobs: readonly FeedJob[], userId: string): Set<string> {
  return new Set(jobs.filter((job) => job.author.id !== userId).map((job) => job.ticket.id));
}
