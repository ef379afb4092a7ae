import { type EntityManager, In } from 'typeorm';
import { canSeeTicket, visibleJobs } from '../access/access-policy';
import { escapeHtml, htmlDocument } from '../outbox/email-html';
import { emailLocaleOf } from '../outbox/email-locale';
import type { OutboxMessage } from '../outbox/outbox-message.entity';
import { MessageCancelled, type RenderContext, type RenderedMessage } from '../outbox/renderers';
import type { FieldChange, Job } from '../tickets/job.entity';
import { Job as JobEntity } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { TicketStatus } from '../tickets/ticket.enums';
import { isStaff } from '../users/role';
import { User } from '../users/user.entity';
import { type ActivityMessages, type ActivityReason, activityMessages } from './activity-messages';
import type { ActivityParams } from './email-notifier';
import { ticketSubject } from './ticket-subject';
import { unsubscribeTokensFor } from './unsubscribe-token';

/** One job as the recipient reads it. */
interface JobView {
  heading: string;
  changes: string[];
  reporterAnswered: boolean;
  /** The comment, or the description of a new ticket. */
  text: string | null;
}

/** Long values (a description) are cut in the from → to lines; the ticket page has them whole. */
const MAX_VALUE_LENGTH = 300;

/**
 * Makes the ticket-activity email at sending time, from what the ticket and its jobs are then, as the
 * recipient may see them (access policy: a USER never reads an internal note), in their language.
 * Cancelled when the recipient no longer wants it or nothing of it is left for them to see.
 */
export async function renderTicketActivity(
  message: OutboxMessage,
  context: RenderContext,
): Promise<RenderedMessage> {
  const { manager, publicUrl } = context;
  const params = message.params as unknown as ActivityParams;
  const [recipient, ticket, actor] = await Promise.all([
    message.recipientUserId === null ? null : manager.findOneBy(User, { id: message.recipientUserId }),
    manager.findOneBy(Ticket, { id: params.ticketId }),
    manager.findOneBy(User, { id: params.actorId }),
  ]);
  if (!recipient) throw new MessageCancelled('the recipient’s account is gone');
  // Read at sending time: turning notifications off stops what is queued; a changed address, once
  // verified, receives it (the message follows its user, not the address it was queued for).
  if (!recipient.notifyByEmail) throw new MessageCancelled('the recipient turned email notifications off');
  if (!recipient.emailVerified) throw new MessageCancelled('the recipient’s address is not verified');
  if (!ticket || !actor || !canSeeTicket(recipient, ticket)) {
    throw new MessageCancelled('the recipient may not see this ticket');
  }
  const jobs = visibleJobs(recipient, await jobsOf(manager, ticket, params.jobIds));
  if (jobs.length === 0) throw new MessageCancelled('nothing in it the recipient may see');

  const texts = activityMessages[recipient.locale] ?? activityMessages.EN;
  const { colon } = emailLocaleOf(recipient.locale);
  const views = jobs.map((job) => viewOf(job, ticket, actor, recipient, texts, colon));
  const token = unsubscribeTokensFor(context.config).issue(recipient.id);
  const links = {
    ticket: `${publicUrl}/tickets/${ticket.id}`,
    unsubscribePage: `${publicUrl}/unsubscribe?token=${token}`,
    oneClick: `${publicUrl}/api/unsubscribe/${token}`,
  };
  const why = whyOf(params, recipient, ticket, jobs, texts);
  const subject = ticketSubject(ticket);
  return {
    to: recipient.email,
    subject,
    text: plainText(subject, views, links, why, texts, colon),
    html: htmlPart(subject, views, links, why, texts, recipient.locale.toLowerCase()),
    headers: {
      'List-Unsubscribe': `<${links.oneClick}>`,
      // RFC 8058: one-click (a POST by the mail program) is offered for https links only.
      ...(links.oneClick.startsWith('https:')
        ? { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' }
        : {}),
    },
  };
}

function jobsOf(manager: EntityManager, ticket: Ticket, jobIds: number[]): Promise<Job[]> {
  return manager.find(JobEntity, { where: { id: In(jobIds), ticketId: ticket.id }, order: { id: 'ASC' } });
}

function viewOf(
  job: Job,
  ticket: Ticket,
  actor: User,
  recipient: User,
  texts: ActivityMessages,
  colon: string,
): JobView {
  const opened = isOpeningJob(job);
  const changes = opened ? [] : job.changes.map((change) => describeChange(change, recipient, texts, colon));
  // The reply loop: only the reporter's answer moves a WAITING ticket back to OPEN.
  const reporterAnswered =
    isStaff(recipient.role) &&
    job.authorId === ticket.authorId &&
    job.changes.some(
      (change) =>
        change.field === 'status' && change.from === TicketStatus.WAITING && change.to === TicketStatus.OPEN,
    );
  return {
    heading: jobHeading(job, actor.username, texts),
    changes,
    reporterAnswered,
    text: opened ? ticket.description : job.comment,
  };
}

/** The job that opened the ticket: its only change is the status from nothing to OPEN. */
export function isOpeningJob(job: Pick<Job, 'changes'>): boolean {
  return job.changes.some((change) => change.field === 'status' && change.from === null);
}

/** What a job did, in one line of the reader's language ("alice commented and changed the ticket"). */
export function jobHeading(
  job: Pick<Job, 'changes' | 'comment' | 'internal'>,
  actorName: string,
  texts: ActivityMessages,
): string {
  if (job.internal) return texts.internalNote(actorName);
  if (isOpeningJob(job)) return texts.opened(actorName);
  if (job.comment && job.changes.length > 0) return texts.commentedAndChanged(actorName);
  return job.comment ? texts.commented(actorName) : texts.changed(actorName);
}

/**
 * One change in the reader's words ("Status: Open → Resolved"); long values are cut at maxValueLength
 * (the project report passes Infinity, since it is the full record).
 */
export function describeChange(
  change: FieldChange,
  reader: Pick<User, 'role'>,
  texts: ActivityMessages,
  colon: string,
  maxValueLength = MAX_VALUE_LENGTH,
): string {
  const value = (raw: string | null): string => {
    if (raw === null) return texts.none;
    if (change.field === 'status') {
      return raw === TicketStatus.WAITING && isStaff(reader.role)
        ? texts.waitingForReporter
        : wordFor(texts.statuses, raw);
    }
    if (change.field === 'priority') return wordFor(texts.priorities, raw);
    if (change.field === 'category') return wordFor(texts.categories, raw);
    const oneLine = raw.replace(/\s+/g, ' ').trim();
    return oneLine.length > maxValueLength ? `${oneLine.slice(0, maxValueLength)}…` : oneLine;
  };
  return `${wordFor(texts.fields, change.field)}${colon}${value(change.from)} → ${value(change.to)}`;
}

/** The word for a value, or the value: own keys only, so an imported "constructor" stays "constructor". */
function wordFor(words: Record<string, string>, key: string): string {
  return Object.hasOwn(words, key) ? words[key] : key;
}

/**
 * The footer: the reasons recorded at fan-out (who held the ticket when the jobs were done), one
 * sentence each. Messages queued before reasons were recorded fall back to the ticket as it is now.
 */
function whyOf(
  params: ActivityParams,
  recipient: User,
  ticket: Ticket,
  jobs: Job[],
  texts: ActivityMessages,
): string {
  if (params.reasons && params.reasons.length > 0) {
    return params.reasons
      .map((reason: ActivityReason) => texts.why[reason] ?? '')
      .join(' ')
      .trim();
  }
  const legacy = legacyReasonOf(recipient, ticket, jobs);
  return legacy === 'watcher' ? texts.whyWatcher : texts.why[legacy];
}

function legacyReasonOf(recipient: User, ticket: Ticket, jobs: Job[]): ActivityReason | 'watcher' {
  if (recipient.id === ticket.authorId) return 'author';
  const heldIt = jobs.some((job) =>
    job.changes.some((change) => change.field === 'assignee' && change.from === recipient.username),
  );
  return ticket.assigneeId === recipient.id || heldIt ? 'assignee' : 'watcher';
}

interface Links {
  ticket: string;
  unsubscribePage: string;
  oneClick: string;
}

function plainText(
  subject: string,
  views: JobView[],
  links: Links,
  why: string,
  texts: ActivityMessages,
  colon: string,
) {
  const lines = [subject, ''];
  for (const view of views) {
    lines.push(view.heading);
    for (const change of view.changes) lines.push(`  ${change}`);
    if (view.reporterAnswered) lines.push(`  ${texts.reporterAnswered}`);
    if (view.text) lines.push('', ...view.text.split(/\r?\n/).map((line) => `> ${line}`));
    lines.push('');
  }
  lines.push(
    `${texts.openTicket}${colon}${links.ticket}`,
    '',
    '-- ',
    why,
    `${texts.unsubscribe}${colon}${links.unsubscribePage}`,
  );
  return `${lines.join('\n')}\n`;
}

function htmlPart(
  subject: string,
  views: JobView[],
  links: Links,
  why: string,
  texts: ActivityMessages,
  lang: string,
) {
  const jobs = views.map((view) => {
    const changes = view.changes.map((change) => `<li>${escapeHtml(change)}</li>`);
    if (view.reporterAnswered)
      changes.push(`<li><strong>${escapeHtml(texts.reporterAnswered)}</strong></li>`);
    return [
      `<p><strong>${escapeHtml(view.heading)}</strong></p>`,
      changes.length > 0 ? `<ul>${changes.join('')}</ul>` : '',
      view.text
        ? `<blockquote style="margin:0 0 1em;padding-left:1em;border-left:3px solid #ccc;white-space:pre-wrap">${escapeHtml(view.text)}</blockquote>`
        : '',
    ].join('');
  });
  return htmlDocument(lang, subject, [
    `<h1 style="font-size:1.1em">${escapeHtml(subject)}</h1>`,
    ...jobs,
    `<p><a href="${escapeHtml(links.ticket)}">${escapeHtml(texts.openTicket)}</a></p>`,
    `<hr><p style="color:#666;font-size:0.85em">${escapeHtml(why)}<br>`,
    `<a href="${escapeHtml(links.unsubscribePage)}">${escapeHtml(texts.unsubscribe)}</a></p>`,
  ]);
}
