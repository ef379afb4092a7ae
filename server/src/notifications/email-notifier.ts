import { type EntityManager, In, MoreThanOrEqual } from 'typeorm';
import { canSeeTicket, visibleJobs } from '../access/access-policy';
import { MINUTE_MS } from '../clock';
import { type DomainEvent, DomainEventType } from '../events/domain-event.entity';
import type { EventConsumer } from '../events/event-consumers';
import type { Outbox } from '../outbox/outbox';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { Role, isStaff } from '../users/role';
import { User } from '../users/user.entity';
import { normalizeKey } from '../users/user-key';
import { type ActivityReason, activityReasons } from './activity-messages';
import { ticketSubject } from './ticket-subject';
import { isDeactivated } from '../users/deactivation';

export const TICKET_ACTIVITY_TEMPLATE = 'ticket-activity';
/** Jobs by one person on one ticket within this window go out as one message. */
export const ACTIVITY_WINDOW_MS = 2 * MINUTE_MS;

/** What the ticket-activity message is made from at sending time. */
export interface ActivityParams {
  ticketId: number;
  actorId: number;
  jobIds: number[];
  /**
   * Why the recipient is told, decided at fan-out (who held the ticket then), not at sending time;
   * the union over the jobs a coalesced message holds. Absent in messages queued before it was kept.
   */
  reasons?: ActivityReason[];
}

/** One job, with the people it may concern. */
export interface Activity {
  ticket: Pick<Ticket, 'id' | 'authorId'>;
  job: Pick<Job, 'authorId' | 'internal' | 'comment'>;
  opened: boolean;
  /** The ticket's author. */
  author: User | null;
  /** Whoever held the ticket once the job was done. */
  assignee: User | null;
  /** When the job reassigned the ticket, whoever held it before (a reassignment tells both). */
  previousAssignee: User | null;
  /** Staff who asked to be told of new tickets (notifyNewTickets); needed for openings and replies only. */
  watchers: User[];
}

/** A deactivated account is told nothing: it can no longer open what a message links to. */
const wantsEmail = (user: User): boolean => user.notifyByEmail && user.emailVerified && !isDeactivated(user);

/**
 * Who is told of one job ("Who is told what" in issue 7), each person once, and why:
 * - the author: what someone else did that they may see (never an internal note);
 * - the assignee: what someone else did, internal notes included (a reassignment: the old one too);
 * - staff watching new tickets: every new ticket, and the reporter's replies while nobody holds it;
 * - never the one who did it, and only people with notifyByEmail on and a verified address.
 */
export function whoIsTold(activity: Activity): { user: User; reasons: ActivityReason[] }[] {
  const { ticket, job, opened, author, assignee, previousAssignee, watchers } = activity;
  const told = new Map<number, { user: User; reasons: ActivityReason[] }>();
  const tell = (user: User | null, reason: ActivityReason) => {
    if (!user || user.id === job.authorId || !wantsEmail(user)) return;
    if (!canSeeTicket(user, ticket) || visibleJobs(user, [job as Job]).length === 0) return;
    const entry = told.get(user.id) ?? { user, reasons: [] };
    if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
    told.set(user.id, entry);
  };
  if (author) tell(author, 'author');
  tell(assignee, 'assignee');
  tell(previousAssignee, 'previousAssignee');
  const reporterReply = !opened && job.authorId === ticket.authorId && job.comment !== null && !job.internal;
  const unassigned = assignee === null && previousAssignee === null;
  if (opened || (reporterReply && unassigned)) {
    for (const watcher of watchers) {
      if (isStaff(watcher.role) && watcher.notifyNewTickets) {
        tell(watcher, opened ? 'newTicket' : 'unassignedReply');
      }
    }
  }
  return [...told.values()].map(({ user, reasons }) => ({ user, reasons: sortReasons(reasons) }));
}

const sortReasons = (reasons: ActivityReason[]): ActivityReason[] =>
  activityReasons.filter((reason) => reasons.includes(reason));

/** Appends the jobs (and reasons: their union) of the next message to those of the one still waiting. */
export function mergeActivity(waiting: Record<string, unknown>, next: Record<string, unknown>) {
  const jobIds = [...(waiting.jobIds as number[]), ...(next.jobIds as number[])];
  const reasons = [
    ...((waiting.reasons as ActivityReason[]) ?? []),
    ...((next.reasons as ActivityReason[]) ?? []),
  ];
  return {
    ...waiting,
    jobIds: [...new Set(jobIds)].sort((a, b) => a - b),
    reasons: sortReasons(reasons),
  };
}

/**
 * The email consumer of the event log: turns each job into ticket-activity messages in the outbox,
 * in the transaction that moves its cursor. What the messages say is decided when they are sent.
 */
export class EmailNotifier implements EventConsumer {
  readonly name = 'email-notifications';

  constructor(private readonly outbox: Outbox) {}

  async handle(manager: EntityManager, events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const ticketIds = [...new Set(events.map((event) => event.ticketId))];
    const firstJobId = Math.min(...events.map((event) => event.jobId));
    const [tickets, jobs] = await Promise.all([
      manager.findBy(Ticket, { id: In(ticketIds) }),
      // This batch's jobs and any later ones: later reassignments tell who held the ticket back then.
      manager.find(Job, {
        where: { ticketId: In(ticketIds), id: MoreThanOrEqual(firstJobId) },
        order: { id: 'ASC' },
      }),
    ]);
    const users = new UserCache(manager);
    let watchers: User[] | undefined;

    for (const event of events) {
      const ticket = tickets.find((candidate) => candidate.id === event.ticketId);
      const job = jobs.find((candidate) => candidate.id === event.jobId);
      if (!ticket || !job) continue;
      const opened = event.type === DomainEventType.TICKET_OPENED;
      const author = await users.byId(ticket.authorId);
      const { assignee, previousAssignee } = await this.assignees(users, ticket, job, jobs);
      const unassigned = assignee === null && previousAssignee === null;
      const needsWatchers = opened || (job.authorId === ticket.authorId && unassigned);
      if (needsWatchers) watchers ??= await this.watchers(manager);
      const recipients = whoIsTold({
        ticket,
        job,
        opened,
        author,
        assignee,
        previousAssignee,
        watchers: watchers ?? [],
      });
      for (const { user: recipient, reasons } of recipients) {
        const params: ActivityParams = {
          ticketId: ticket.id,
          actorId: job.authorId,
          jobIds: [job.id],
          reasons,
        };
        await this.outbox.enqueueCoalesced(
          manager,
          {
            channel: 'email',
            recipient: recipient.email,
            recipientUserId: recipient.id,
            template: TICKET_ACTIVITY_TEMPLATE,
            params: { ...params },
            subject: ticketSubject(ticket),
          },
          {
            key: `activity:${ticket.id}:${job.authorId}:${recipient.id}`,
            windowMs: ACTIVITY_WINDOW_MS,
            at: event.createdAt,
          },
          mergeActivity,
        );
      }
    }
  }

  /**
   * Who held the ticket once job was done (the "from" of the next reassignment, or whoever holds it
   * now) and, when job itself reassigned it, who held it before.
   */
  private async assignees(
    users: UserCache,
    ticket: Ticket,
    job: Job,
    jobs: Job[],
  ): Promise<{ assignee: User | null; previousAssignee: User | null }> {
    const reassignment = (of: Job) => of.changes.find((change) => change.field === 'assignee');
    const next = jobs
      .filter((later) => later.ticketId === ticket.id && later.id > job.id)
      .map(reassignment)
      .find((change) => change !== undefined);
    const after = next
      ? next.from === null
        ? null
        : await users.byUsername(next.from)
      : ticket.assigneeId === null
        ? null
        : await users.byId(ticket.assigneeId);
    const previous = reassignment(job)?.from;
    const before = previous ? await users.byUsername(previous) : null;
    return { assignee: after, previousAssignee: before };
  }

  private watchers(manager: EntityManager): Promise<User[]> {
    return manager.findBy(User, {
      role: In([Role.AGENT, Role.ADMIN]),
      notifyNewTickets: true,
      notifyByEmail: true,
      emailVerified: true,
    });
  }
}

/** Each user read once per batch. */
class UserCache {
  private readonly users = new Map<string, Promise<User | null>>();

  constructor(private readonly manager: EntityManager) {}

  byId(id: number): Promise<User | null> {
    return this.load(`id:${id}`, () => this.manager.findOneBy(User, { id }));
  }

  byUsername(username: string): Promise<User | null> {
    const usernameKey = normalizeKey(username);
    return this.load(`name:${usernameKey}`, () => this.manager.findOneBy(User, { usernameKey }));
  }

  private load(key: string, read: () => Promise<User | null>): Promise<User | null> {
    let user = this.users.get(key);
    if (!user) this.users.set(key, (user = read()));
    return user;
  }
}
