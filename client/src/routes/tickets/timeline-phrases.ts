import { hasKey, i18n, t, type MessageKey } from '../../lib/i18n/index.svelte';
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

// French elides "de", "le" and "que" before a vowel or a mute h: "de Ouvert" reads "d’Ouvert". The few
// words with an aspirated h keep the full form ("de Haute").
const ELIDED = /(^|\s)(de|le|que) $/i;
const VOWEL_START = /^[aeiouyàâäéèêëîïôöùûüœæh]/i;
const ASPIRATED_H = /^(haut|hors|hâte|hasard|honte|héros|hausse|hiérarchi)/i;

function elide(text: string, next: string): string {
  if (i18n.lang !== 'fr' || !VOWEL_START.test(next) || ASPIRATED_H.test(next)) return text;
  return text.replace(ELIDED, (_, space: string, word: string) => `${space}${word.slice(0, -1)}’`);
}

/** A message cut at its {placeholders}, each replaced by the given piece (elided before it in French). */
function fill(key: MessageKey, params: Record<string, Segment> = {}): Phrase {
  const placeholder = (piece = '') => {
    const name = /^\{(\w+)\}$/.exec(piece)?.[1];
    return name ? params[name] : undefined;
  };
  const pieces = t(key)
    .split(/(\{\w+\})/)
    .filter(Boolean);
  return pieces.map((piece, index) => {
    const value = placeholder(piece);
    if (value) return value;
    const next = placeholder(pieces[index + 1]);
    return { text: next ? elide(piece, next.text) : piece };
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
