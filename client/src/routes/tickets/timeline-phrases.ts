import { hasKey, t, type MessageKey } from '../../lib/i18n/index.svelte';
import { statusLabel } from './ticket-options';
import type { TicketDetail } from './tickets.graphql';

// What a job did, in words ("changed the status from Open to Resolved"), as pieces the timeline renders:
// the values stand out (strong) and a ticket number is a link.

export interface Segment {
  text: string;
  strong?: boolean;
  href?: string;
}

export type Phrase = Segment[];
type Job = TicketDetail['jobs'][number];

/** A message cut at its {placeholders}, each replaced by the given piece. */
function fill(key: MessageKey, params: Record<string, Segment> = {}): Phrase {
  return t(key)
    .split(/(\{\w+\})/)
    .filter(Boolean)
    .map((piece) => {
      const name = /^\{(\w+)\}$/.exec(piece)?.[1];
      return name && params[name] ? params[name] : { text: piece };
    });
}

const strong = (text: string): Segment => ({ text, strong: true });

function valueText(field: string, value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return t('event.none');
  if (field === 'status') return statusLabel(value);
  const key = `${field}.${value}`;
  return (field === 'priority' || field === 'category') && hasKey(key) ? t(key) : value;
}

/** The phrases of one job, in the order they happened; empty when only files were added. */
export function phrasesOf(job: Job, ticketAuthorId: string): Phrase[] {
  const closedAsDuplicate = job.changes.some((change) => change.field === 'duplicateOf' && change.to);
  const answered =
    !!job.comment &&
    !job.internal &&
    job.author.id === ticketAuthorId &&
    job.changes.some((c) => c.field === 'status' && c.from === 'WAITING' && c.to === 'OPEN');
  const phrases: Phrase[] = [];
  if (job.internal) phrases.push(fill('event.noted'));
  else if (answered) phrases.push(fill('event.answered'));

  for (const { field, from, to } of job.changes) {
    const text = (value: string | null | undefined) => strong(valueText(field, value));
    switch (field) {
      case 'status':
        // Implied by "closed as duplicate", or by the reporter's answer (the server reopens the ticket).
        if ((closedAsDuplicate && to === 'CLOSED') || (answered && from === 'WAITING')) break;
        phrases.push(fill('event.status', { from: text(from), to: text(to) }));
        break;
      case 'priority':
      case 'category':
        phrases.push(fill(field === 'priority' ? 'event.priority' : 'event.category', { to: text(to) }));
        break;
      case 'assignee':
        if (!from && to === job.author.username) phrases.push(fill('event.selfAssigned'));
        else if (!from) phrases.push(fill('event.assigned', { to: text(to) }));
        else if (!to) phrases.push(fill('event.unassigned', { from: text(from) }));
        else phrases.push(fill('event.reassigned', { from: text(from), to: text(to) }));
        break;
      case 'project':
        phrases.push(fill('event.project', { to: text(to) }));
        break;
      case 'title':
        phrases.push(fill('event.title', { from: text(from), to: text(to) }));
        break;
      case 'description':
        phrases.push(fill('event.description'));
        break;
      case 'duplicateOf':
        phrases.push(
          to
            ? fill('event.duplicate', { to: { text: `#${to}`, href: `/tickets/${to}` } })
            : fill('event.duplicateRemoved'),
        );
        break;
      default:
        phrases.push(fill('event.other', { field: strong(field), from: text(from), to: text(to) }));
    }
  }
  if (phrases.length === 0 && job.comment) phrases.push(fill('event.commented'));
  if (phrases.length === 0 && job.attachments.length) phrases.push(fill('event.attached'));
  return phrases;
}
