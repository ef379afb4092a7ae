import { type EntityManager, In } from 'typeorm';
import { canSeeProject, canSeeTicket } from '../access/access-policy';
import { claimAttachments, linkAttachments } from '../attachments/attachment.service';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { DomainEventType } from '../events/domain-event.entity';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { parseId } from '../ids';
import { type TicketRow, readRows, ticketColumns, ticketFromRow } from '../loaders';
import { Project } from '../projects/project.entity';
import { isBlank } from '../text';
import { assertActiveAccount } from '../users/deactivation';
import { isStaff } from '../users/role';
import { User } from '../users/user.entity';
import type { FieldChange } from './job.entity';
import type { JobRecorder } from './job-recorder';
import { TicketList, type TicketListRequest } from './ticket-list';
import { applyDuplicateOf } from './duplicates';
import { searchIndexOf } from './ticket-search';
import { type NewTicket, insertTicket } from './ticket-rows';
import { Ticket } from './ticket.entity';
import { Priority, TicketCategory, TicketStatus, isDone } from './ticket.enums';
import {
  type BulkTicketUpdateInput,
  type CreateTicketInput,
  MAX_BULK_TICKETS,
  type UpdateTicketInput,
} from './ticket.inputs';
import type { TicketConnection } from './ticket-connection';

const ticketById = `SELECT ${ticketColumns} FROM "ticket" WHERE "id" = ?`;

/** What a USER may do to their own ticket. */
const AUTHOR_EDITABLE = new Set(['title', 'description', 'category', 'status', 'comment', 'attachmentIds']);
const AUTHOR_STATUSES = new Set([TicketStatus.CLOSED, TicketStatus.OPEN]);

/**
 * The rules of tickets: who edits what, and the history (who sees what: access/access-policy.ts).
 * Every change is one Job, written in the same transaction as the ticket and its search index entry.
 */
export class TicketService {
  private readonly lists: TicketList;

  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly jobs: JobRecorder,
  ) {
    this.lists = new TicketList(database);
  }

  /** A ticket the viewer may not see is answered exactly like one that does not exist. */
  async get(viewer: User, id: number, manager: EntityManager = this.database.manager): Promise<Ticket> {
    // Outside a transaction, the row is read and built as the loaders do (prepared once on SQLite).
    const ticket =
      manager === this.database.manager
        ? ((await readRows<TicketRow>(manager, ticketById, [id])).map(ticketFromRow)[0] ?? null)
        : await manager.findOneBy(Ticket, { id });
    if (!ticket || !canSeeTicket(viewer, ticket)) throw new NotFoundError('Ticket', id);
    return ticket;
  }

  list(viewer: User, request: TicketListRequest): Promise<TicketConnection> {
    return this.lists.list(viewer, request);
  }

  async create(actor: User, input: CreateTicketInput): Promise<Ticket> {
    const projectId = parseId('projectId', input.projectId);
    return this.database.transaction(async (manager) => {
      await this.openProject(manager, actor, projectId);
      const attachmentIds = await claimAttachments(manager, actor, null, input.attachmentIds);
      const now = this.clock.now();
      const row: NewTicket = {
        title: input.title,
        description: input.description,
        status: TicketStatus.OPEN,
        // A reporter's idea of the priority is not theirs to set: staff triage it.
        priority: isStaff(actor.role) && input.priority ? input.priority : Priority.NORMAL,
        category: input.category ?? TicketCategory.OTHER,
        projectId,
        authorId: actor.id,
        assigneeId: null,
        createdAt: now,
        updatedAt: now,
        closedAt: null,
      };
      const ticket = manager.create(Ticket, { ...row, duplicateOfId: null });
      ticket.id = await insertTicket(manager, row);
      const job = await this.jobs.record(
        manager,
        ticket,
        actor,
        {
          createdAt: now,
          comment: null,
          internal: false,
          changes: [{ field: 'status', from: null, to: TicketStatus.OPEN }],
        },
        DomainEventType.TICKET_OPENED,
      );
      await linkAttachments(manager, attachmentIds, job);
      await searchIndexOf(manager).add(manager, ticket);
      return ticket;
    });
  }

  async update(actor: User, id: number, input: UpdateTicketInput): Promise<Ticket> {
    const comment = input.comment != null && !isBlank(input.comment) ? input.comment : null;
    const internal = input.internal === true;
    const asked = Object.entries(input)
      .filter(
        ([key, value]) =>
          value !== undefined &&
          value !== null &&
          key !== 'internal' &&
          !(key === 'unassign' && value === false),
      )
      .map(([key]) => key);
    const staff = isStaff(actor.role);

    return this.database.transaction(async (manager) => {
      const ticket = await this.get(actor, id, manager);
      if (!staff) {
        const refused = asked.filter((field) => !AUTHOR_EDITABLE.has(field));
        if (internal) refused.push('internal');
        if (refused.length > 0) {
          throw new ForbiddenError(`A reporter cannot change ${refused.join(', ')}; an agent can.`);
        }
        if (input.status && !this.authorMayMoveTo(ticket.status, input.status)) {
          throw new ForbiddenError(
            'A reporter can close their open ticket (CLOSED) or reopen a done one (OPEN).',
          );
        }
      }
      if (input.assigneeId != null && input.unassign) {
        throw BadInputError.field('unassign', 'invalid', 'unassign cannot be combined with assigneeId.');
      }

      const now = this.clock.now();
      const changes = await this.applyChanges(manager, actor, ticket, input, now);
      changes.push(...(await applyDuplicateOf(manager, actor, ticket, input, now)));
      // The reply loop: WAITING means waiting for the reporter; their answer puts the ticket back in
      // the team's hands, recorded in the same job as the comment.
      if (
        ticket.status === TicketStatus.WAITING &&
        ticket.authorId === actor.id &&
        comment &&
        !internal &&
        input.status == null
      ) {
        changes.push({ field: 'status', from: TicketStatus.WAITING, to: TicketStatus.OPEN });
        ticket.status = TicketStatus.OPEN;
      }
      if (internal && (changes.length > 0 || !comment)) {
        throw BadInputError.field(
          'internal',
          'invalid',
          'internal: an internal note must carry a comment and no field change.',
        );
      }
      // Files alone make a job: a reporter may send a screenshot without a word.
      const attachmentIds = await claimAttachments(manager, actor, ticket.id, input.attachmentIds);
      if (changes.length === 0 && !comment && attachmentIds.length === 0) {
        throw BadInputError.field('input', 'noChange', 'input changes nothing and carries no comment.');
      }

      // An internal note leaves no trace the reporter could see, not even a new "last updated" time.
      if (!internal) ticket.updatedAt = now;
      const saved = await manager.save(ticket);
      const job = await this.jobs.record(
        manager,
        ticket,
        actor,
        { createdAt: now, comment, internal, changes },
        DomainEventType.TICKET_UPDATED,
      );
      await linkAttachments(manager, attachmentIds, job);
      if (changes.some((change) => change.field === 'title' || change.field === 'description')) {
        await searchIndexOf(manager).updateText(manager, ticket);
      }
      if (comment) await searchIndexOf(manager).addComment(manager, ticket.id, comment, internal);
      return saved;
    });
  }

  /**
   * Staff's same change for several tickets: one job per ticket that changes, through the job writer as
   * update() (so events, history, notifications and live updates follow), all in one transaction. The
   * tickets and the users named are read once for the whole call, not once per ticket.
   */
  async updateMany(actor: User, ids: number[], input: BulkTicketUpdateInput): Promise<Ticket[]> {
    if (!isStaff(actor.role)) {
      throw new ForbiddenError('Only agents and admins can change several tickets at once.');
    }
    const unique = [...new Set(ids)];
    if (unique.length === 0 || unique.length > MAX_BULK_TICKETS) {
      throw BadInputError.field('ids', 'range', `ids must name 1 to ${MAX_BULK_TICKETS} tickets.`);
    }
    if (input.assigneeId != null && input.unassign) {
      throw BadInputError.field('unassign', 'invalid', 'unassign cannot be combined with assigneeId.');
    }
    const unassign = input.unassign === true;
    if (input.status == null && input.priority == null && input.assigneeId == null && !unassign) {
      throw BadInputError.field(
        'input',
        'noChange',
        'input changes nothing: name a status, priority or assignee.',
      );
    }
    const assigneeId = input.assigneeId == null ? undefined : parseId('assigneeId', input.assigneeId);

    return this.database.transaction(async (manager) => {
      const found = new Map(
        (await manager.findBy(Ticket, { id: In(unique) })).map((ticket) => [ticket.id, ticket]),
      );
      const tickets = unique.map((id) => {
        const ticket = found.get(id);
        if (!ticket || !canSeeTicket(actor, ticket)) throw new NotFoundError('Ticket', id);
        return ticket;
      });
      const assignee = assigneeId === undefined ? null : await this.assignable(manager, assigneeId);
      const assigning = assigneeId !== undefined || unassign;
      const previous = assigning
        ? await this.usernames(
            manager,
            tickets.map((t) => t.assigneeId),
          )
        : new Map();

      const now = this.clock.now();
      for (const ticket of tickets) {
        const changes: FieldChange[] = [];
        if (input.status != null) changes.push(...moveStatus(ticket, input.status, now));
        if (input.priority != null && input.priority !== ticket.priority) {
          changes.push({ field: 'priority', from: ticket.priority, to: input.priority });
          ticket.priority = input.priority;
        }
        const nextAssignee = assignee?.id ?? null;
        if (assigning && nextAssignee !== ticket.assigneeId) {
          const from = ticket.assigneeId === null ? null : (previous.get(ticket.assigneeId) ?? null);
          changes.push({ field: 'assignee', from, to: assignee?.username ?? null });
          ticket.assigneeId = nextAssignee;
        }
        // Reopening a duplicate ends its link, as update() does (no query: no duplicateOfId is asked).
        changes.push(...(await applyDuplicateOf(manager, actor, ticket, { status: input.status }, now)));
        // Already so: no job, and the ticket keeps its "last updated" time.
        if (changes.length === 0) continue;
        ticket.updatedAt = now;
        await manager.update(
          Ticket,
          { id: ticket.id },
          {
            status: ticket.status,
            priority: ticket.priority,
            assigneeId: ticket.assigneeId,
            closedAt: ticket.closedAt,
            duplicateOfId: ticket.duplicateOfId,
            updatedAt: now,
          },
        );
        await this.jobs.record(
          manager,
          ticket,
          actor,
          { createdAt: now, comment: null, internal: false, changes },
          DomainEventType.TICKET_UPDATED,
        );
      }
      return tickets;
    });
  }

  /** The usernames of these users, in one query. */
  private async usernames(manager: EntityManager, ids: (number | null)[]): Promise<Map<number, string>> {
    const wanted = [...new Set(ids.filter((id): id is number => id !== null))];
    if (wanted.length === 0) return new Map();
    const users = await manager.find(User, {
      select: { id: true, username: true },
      where: { id: In(wanted) },
    });
    return new Map(users.map((user) => [user.id, user.username]));
  }

  private authorMayMoveTo(current: TicketStatus, next: TicketStatus): boolean {
    if (next === current) return true;
    if (!AUTHOR_STATUSES.has(next)) return false;
    return next === TicketStatus.CLOSED ? !isDone(current) : isDone(current);
  }

  /** Applies the asked changes to ticket and returns them as the job's from → to list. */
  private async applyChanges(
    manager: EntityManager,
    actor: User,
    ticket: Ticket,
    input: UpdateTicketInput,
    now: Date,
  ): Promise<FieldChange[]> {
    const changes: FieldChange[] = [];
    const record = (field: string, from: string | null, to: string | null) => {
      if (from !== to) changes.push({ field, from, to });
    };

    if (input.title != null) {
      record('title', ticket.title, input.title);
      ticket.title = input.title;
    }
    if (input.description != null) {
      record('description', ticket.description, input.description);
      ticket.description = input.description;
    }
    if (input.category != null) {
      record('category', ticket.category, input.category);
      ticket.category = input.category;
    }
    if (input.priority != null) {
      record('priority', ticket.priority, input.priority);
      ticket.priority = input.priority;
    }
    if (input.status != null) changes.push(...moveStatus(ticket, input.status, now));
    if (input.projectId != null) {
      const projectId = parseId('projectId', input.projectId);
      if (projectId !== ticket.projectId) {
        const [from, to] = await Promise.all([
          manager.findOneByOrFail(Project, { id: ticket.projectId }),
          this.openProject(manager, actor, projectId),
        ]);
        record('project', from.name, to.name);
        ticket.projectId = projectId;
      }
    }
    if (input.assigneeId != null || input.unassign) {
      const assigneeId = input.unassign ? null : parseId('assigneeId', input.assigneeId!);
      if (assigneeId !== ticket.assigneeId) {
        const [from, to] = await Promise.all([
          ticket.assigneeId === null ? null : manager.findOneBy(User, { id: ticket.assigneeId }),
          assigneeId === null ? null : this.assignable(manager, assigneeId),
        ]);
        record('assignee', from?.username ?? null, to?.username ?? null);
        ticket.assigneeId = assigneeId;
      }
    }
    return changes;
  }

  private async openProject(manager: EntityManager, actor: User, projectId: number): Promise<Project> {
    const project = await manager.findOneBy(Project, { id: projectId });
    if (!project || !canSeeProject(actor, project)) throw new NotFoundError('Project', projectId);
    if (project.archived) {
      throw BadInputError.field('projectId', 'archived', `projectId: project "${project.name}" is archived.`);
    }
    return project;
  }

  private async assignable(manager: EntityManager, userId: number): Promise<User> {
    const user = await manager.findOneBy(User, { id: userId });
    if (!user) throw new NotFoundError('User', userId);
    if (!isStaff(user.role)) {
      throw BadInputError.field(
        'assigneeId',
        'notAssignable',
        `assigneeId: ${user.username} is not an agent or an admin.`,
      );
    }
    assertActiveAccount(user, 'assigneeId');
    return user;
  }
}

/** Moves the ticket to status, keeping closedAt: when it last entered RESOLVED or CLOSED, cleared on reopening. */
function moveStatus(ticket: Ticket, status: TicketStatus, now: Date): FieldChange[] {
  if (status === ticket.status) return [];
  const change = { field: 'status', from: ticket.status, to: status };
  ticket.closedAt = isDone(status) ? now : null;
  ticket.status = status;
  return [change];
}
