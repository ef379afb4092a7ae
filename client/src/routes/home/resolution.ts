// How a done ticket was solved, told from its history: the API's rule is that the job resolving a
// ticket says how (schema: "RESOLVED (solved; the last job says how)").

interface HistoryJob {
  comment?: string | null;
  internal: boolean;
  status: string;
  author: { role: string };
}

const isDone = (status: string) => status === 'RESOLVED' || status === 'CLOSED';

/**
 * The comment that tells how the ticket was solved: the one of the job that last moved it to RESOLVED
 * or CLOSED when it has one, else the last comment by staff the reporter may see since then, else the
 * last before it (the answer given just before closing). Null when the team never said anything.
 */
export function resolutionComment(jobs: readonly HistoryJob[]): string | null {
  let start = jobs.length - 1;
  if (start < 0 || !isDone(jobs[start].status)) return null;
  while (start > 0 && isDone(jobs[start - 1].status)) start -= 1;
  const spoken = (job: HistoryJob) => !!job.comment?.trim() && !job.internal && job.author.role !== 'USER';
  const resolving = jobs[start];
  if (spoken(resolving)) return resolving.comment!;
  const after = jobs.slice(start).findLast(spoken);
  if (after) return after.comment!;
  return jobs.slice(0, start).findLast(spoken)?.comment ?? null;
}

/** Markdown read as plain words, for a one-line quote: emphasis, code marks, headings and link targets go. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)/gm, '')
    .replace(/(\*\*|\*|~~|`+)(\S(?:.*?\S)?)\1/g, '$2');
}
