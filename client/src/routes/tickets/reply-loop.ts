import { session } from '../../lib/session.svelte';

// The reply loop: WAITING means the team waits for the reporter, whose comment puts the ticket back to
// OPEN (the server does it, in the same job).

/** A job with its author's role: as it was when written (authorRole), or the author's current one. */
type AskingJob = { comment?: string | null; internal: boolean } & (
  { authorRole: string } | { author: { role: string } }
);

// The role at the time wins: an agent since demoted still asked as staff.
const roleOf = (job: AskingJob) => ('authorRole' in job ? job.authorRole : job.author.role);

/** What the team asked: the last comment by staff that the reporter may see. */
export function lastQuestion<Job extends AskingJob>(jobs: readonly Job[]): Job | undefined {
  return jobs.findLast((job) => !!job.comment && !job.internal && roleOf(job) !== 'USER');
}

/** True when the signed-in person is the reporter the team is waiting for. */
export function waitsForMe(ticket: { status: string; author: { id: string } }): boolean {
  return ticket.status === 'WAITING' && ticket.author.id === session.user?.id;
}

/** The start of a long text, cut at a word, for a one-line reminder. */
export function excerpt(text: string, max = 140): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max);
  const lastSpace = cut.lastIndexOf(' ');
  return `${(lastSpace > max / 2 ? cut.slice(0, lastSpace) : cut).replace(/[\s.,;:!?]+$/, '')}…`;
}
