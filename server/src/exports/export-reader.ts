import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import {
  canListArchivedProjects,
  canSeePrivateUserFields,
  visibleProjectDescription,
  whereJobVisible,
  whereTicketVisible,
} from '../access/access-policy';
import type { Database } from '../database/data-source';
import { Project } from '../projects/project.entity';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { type TicketStatus, priorityOrder, statusOrder } from '../tickets/ticket.enums';
import type { Locale, Role } from '../users/role';
import { User } from '../users/user.entity';
import type {
  ExportedChange,
  ExportedJob,
  ExportedProject,
  ExportedTicket,
  ExportedUser,
} from './export-format';

/**
 * Tickets per query. Measured with ten jobs a ticket: at 500, a batch's rows lived long enough to reach
 * V8's old generation (a saw-tooth up to 110 MB of garbage); at 200, the heap stays near 50 MB.
 */
export const TICKET_BATCH = 200;
const USER_BATCH = 1000;

/** A ticket as the CSV file shows it: names where the JSON has ids. */
export interface TicketRow extends Omit<ExportedTicket, 'jobs'> {
  projectName: string;
  authorUsername: string;
  authorEmail: string;
  assigneeUsername: string | null;
}

/** A job as the CSV file shows it: with its ticket and its author's name. */
export interface JobRow extends ExportedJob {
  ticketId: string;
  authorUsername: string;
}

/**
 * One keyset batch: its items, and the id to read the next batch after. Batches are plain promises, not
 * generators, so a batch's rows are garbage once the caller has turned them into text: nothing suspended
 * while the reader is slow keeps them (kept, they reach V8's old generation; see ExportService).
 */
export interface ExportPage<T> {
  items: T[];
  last: number;
}

/** What the export reads: one project, or everything (null). */
export interface ExportScope {
  actor: User;
  projectId: number | null;
}

/** Dates are stored as milliseconds (a string on PostgreSQL's bigint). */
const isoDate = (raw: number | string) => new Date(Number(raw)).toISOString();
const isoDateOrNull = (raw: number | string | null) => (raw === null ? null : isoDate(raw));
const idOrNull = (raw: number | null) => (raw === null ? null : String(raw));

/**
 * Reads the export in keyset batches (by id, `…After(scope, after)`), each in its own short read that
 * waits for the writes in flight: memory stays bounded, and writers are never held for the whole export.
 */
export class ExportReader {
  constructor(private readonly database: Database) {}

  /** Up to USER_BATCH of the scope's users after the id `after`; null once there are none. */
  async usersAfter(scope: ExportScope, after: number): Promise<ExportPage<ExportedUser> | null> {
    const rows = await this.database.readCommitted((manager) =>
      this.namedUsers(manager, scope)
        .andWhere('u.id > :after', { after })
        .orderBy('u.id')
        .limit(USER_BATCH)
        .select(['u.id AS id', 'u.username AS username', 'u.email AS email', 'u.role AS role'])
        .addSelect(['u.locale AS locale', 'u."createdAt" AS "createdAt"'])
        .getRawMany<{
          id: number;
          username: string;
          email: string;
          role: Role;
          locale: Locale;
          createdAt: number;
        }>(),
    );
    if (rows.length === 0) return null;
    return {
      items: rows.map((row) => ({
        id: String(row.id),
        username: row.username,
        email: canSeePrivateUserFields(scope.actor, { id: row.id }) ? row.email : '',
        role: row.role,
        locale: row.locale,
        createdAt: isoDate(row.createdAt),
      })),
      last: Number(rows[rows.length - 1].id),
    };
  }

  /** Everyone for a full export; otherwise those the project's tickets and jobs name. */
  private namedUsers(manager: EntityManager, scope: ExportScope): SelectQueryBuilder<User> {
    const query = manager.createQueryBuilder(User, 'u').where('1 = 1');
    if (scope.projectId === null) return query;
    return query
      .andWhere(
        `(u.id IN (SELECT "authorId" FROM "ticket" WHERE "projectId" = :projectId)
          OR u.id IN (SELECT "assigneeId" FROM "ticket" WHERE "projectId" = :projectId AND "assigneeId" IS NOT NULL)
          OR u.id IN (SELECT jn."authorId" FROM "job" jn INNER JOIN "ticket" tn ON tn.id = jn."ticketId"
                      WHERE tn."projectId" = :projectId))`,
      )
      .setParameter('projectId', scope.projectId);
  }

  project(id: number): Promise<Project | null> {
    return this.database.readCommitted((manager) => manager.findOneBy(Project, { id }));
  }

  async projects(scope: ExportScope): Promise<ExportedProject[]> {
    const projects = await this.database.readCommitted((manager) => {
      const query = manager.createQueryBuilder(Project, 'p').orderBy('p.id');
      if (scope.projectId !== null) query.where('p.id = :projectId', { projectId: scope.projectId });
      else if (!canListArchivedProjects(scope.actor))
        query.where('p.archived = :archived', { archived: false });
      return query.getMany();
    });
    return projects.map((project) => ({
      id: String(project.id),
      name: project.name,
      description: visibleProjectDescription(scope.actor, project),
      archived: project.archived,
      createdAt: project.createdAt.toISOString(),
    }));
  }

  /** Up to TICKET_BATCH of the scope's tickets after the id `after`, each with its jobs (oldest first). */
  async ticketsWithJobsAfter(scope: ExportScope, after: number): Promise<ExportPage<ExportedTicket> | null> {
    const page = await this.ticketRowsAfter(scope, after);
    if (page === null) return null;
    const jobs = await this.jobsOf(scope, page.items);
    return {
      items: page.items.map((ticket) => exportedTicketOf(ticket, jobs.get(ticket.id) ?? [])),
      last: page.last,
    };
  }

  /** The jobs, with their author's name, of the TICKET_BATCH tickets after `after` (none, some tickets may have). */
  async jobRowsAfter(scope: ExportScope, after: number): Promise<ExportPage<JobRow> | null> {
    const page = await this.ticketRowsAfter(scope, after);
    if (page === null) return null;
    const jobs = await this.jobsOf(scope, page.items);
    return { items: page.items.flatMap((ticket) => jobs.get(ticket.id) ?? []), last: page.last };
  }

  /** Up to TICKET_BATCH of the scope's tickets after `after`, with the names the CSV shows. */
  async ticketRowsAfter(scope: ExportScope, after: number): Promise<ExportPage<TicketRow> | null> {
    const rows = await this.database.readCommitted((manager) => {
      const query = manager
        .createQueryBuilder(Ticket, 't')
        .innerJoin(Project, 'p', 'p.id = t."projectId"')
        .innerJoin(User, 'a', 'a.id = t."authorId"')
        .leftJoin(User, 's', 's.id = t."assigneeId"')
        .select(['t.id AS id', 't."projectId" AS "projectId"', 't.title AS title'])
        .addSelect(['t.description AS description', 't.status AS status', 't.priority AS priority'])
        .addSelect(['t.category AS category', 't."authorId" AS "authorId"', 't."assigneeId" AS "assigneeId"'])
        .addSelect([
          't."createdAt" AS "createdAt"',
          't."updatedAt" AS "updatedAt"',
          't."closedAt" AS "closedAt"',
        ])
        .addSelect(['p.name AS "projectName"', 'a.username AS "authorUsername"', 'a.email AS "authorEmail"'])
        .addSelect('s.username', 'assigneeUsername')
        .where('t.id > :after', { after });
      // Unary + keeps the planner off the (projectId, status) index, whose rows it would sort on every
      // batch; walking the primary key from `after` reads each ticket once over the whole export.
      if (scope.projectId !== null)
        query.andWhere('+t."projectId" = :projectId', { projectId: scope.projectId });
      return whereTicketVisible(query, scope.actor, 't')
        .orderBy('t.id')
        .limit(TICKET_BATCH)
        .getRawMany<RawTicket>();
    });
    if (rows.length === 0) return null;
    return {
      items: rows.map((row) => ticketRowOf(row, scope.actor)),
      last: Number(rows[rows.length - 1].id),
    };
  }

  /** How many jobs of each of these tickets the actor sees, by ticket id. */
  async jobCountsOf(scope: ExportScope, tickets: readonly { id: string }[]): Promise<Map<string, number>> {
    const rows = await this.database.readCommitted((manager) =>
      this.visibleJobsOf(manager, scope, tickets)
        .select('j."ticketId"', 'ticketId')
        .addSelect('COUNT(*)', 'count')
        .groupBy('j."ticketId"')
        .getRawMany<{ ticketId: number; count: number | string }>(),
    );
    return new Map(rows.map((row) => [String(row.ticketId), Number(row.count)]));
  }

  /** The jobs of these tickets the actor sees, by ticket id, oldest first. */
  private async jobsOf(
    scope: ExportScope,
    tickets: readonly { id: string }[],
  ): Promise<Map<string, JobRow[]>> {
    const rows = await this.database.readCommitted((manager) =>
      this.visibleJobsOf(manager, scope, tickets)
        .innerJoin(User, 'a', 'a.id = j."authorId"')
        .select(['j.id AS id', 'j."ticketId" AS "ticketId"', 'j."authorId" AS "authorId"'])
        .addSelect(['j."authorRole" AS "authorRole"'])
        .addSelect(['j."createdAt" AS "createdAt"', 'j.comment AS comment', 'j.internal AS internal'])
        .addSelect(['j.status AS status', 'j.changes AS changes', 'a.username AS "authorUsername"'])
        .orderBy('j."ticketId"')
        .addOrderBy('j.id')
        .getRawMany<RawJob>(),
    );
    const byTicket = new Map<string, JobRow[]>();
    for (const row of rows) {
      const job = jobRowOf(row);
      const jobs = byTicket.get(job.ticketId);
      if (jobs) jobs.push(job);
      else byTicket.set(job.ticketId, [job]);
    }
    return byTicket;
  }

  private visibleJobsOf(
    manager: EntityManager,
    scope: ExportScope,
    tickets: readonly { id: string }[],
  ): SelectQueryBuilder<Job> {
    const query = manager
      .createQueryBuilder(Job, 'j')
      .innerJoin(Ticket, 't', 't.id = j."ticketId"')
      .where('j."ticketId" IN (:...ticketIds)', { ticketIds: tickets.map((ticket) => Number(ticket.id)) });
    return whereJobVisible(query, scope.actor, 'j', 't');
  }
}

interface RawTicket {
  id: number;
  projectId: number;
  title: string;
  description: string;
  status: number;
  priority: number;
  category: ExportedTicket['category'];
  authorId: number;
  assigneeId: number | null;
  createdAt: number | string;
  updatedAt: number | string;
  closedAt: number | string | null;
  projectName: string;
  authorUsername: string;
  authorEmail: string;
  assigneeUsername: string | null;
}

interface RawJob {
  id: number;
  authorUsername: string;
  ticketId: number;
  authorId: number;
  authorRole: Role;
  createdAt: number | string;
  comment: string | null;
  internal: number | boolean;
  status: number;
  changes: string;
}

function ticketRowOf(row: RawTicket, actor: User): TicketRow {
  return {
    id: String(row.id),
    projectId: String(row.projectId),
    title: row.title,
    description: row.description,
    status: statusOrder[Number(row.status)],
    priority: priorityOrder[Number(row.priority)],
    category: row.category,
    authorId: String(row.authorId),
    assigneeId: idOrNull(row.assigneeId),
    createdAt: isoDate(row.createdAt),
    updatedAt: isoDate(row.updatedAt),
    closedAt: isoDateOrNull(row.closedAt),
    projectName: row.projectName,
    authorUsername: row.authorUsername,
    authorEmail: canSeePrivateUserFields(actor, { id: row.authorId }) ? row.authorEmail : '',
    assigneeUsername: row.assigneeUsername,
  };
}

/** The JSON form: ids only, the names left to the users list; keys in the order of ExportedTicket. */
function exportedTicketOf(ticket: TicketRow, jobs: readonly JobRow[]): ExportedTicket {
  return {
    id: ticket.id,
    projectId: ticket.projectId,
    title: ticket.title,
    description: ticket.description,
    status: ticket.status,
    priority: ticket.priority,
    category: ticket.category,
    authorId: ticket.authorId,
    assigneeId: ticket.assigneeId,
    createdAt: ticket.createdAt,
    updatedAt: ticket.updatedAt,
    closedAt: ticket.closedAt,
    jobs: jobs.map((job) => ({
      id: job.id,
      authorId: job.authorId,
      authorRole: job.authorRole,
      createdAt: job.createdAt,
      comment: job.comment,
      internal: job.internal,
      status: job.status,
      changes: job.changes,
    })),
  };
}

function jobRowOf(row: RawJob): JobRow {
  const changes = JSON.parse(row.changes) as Partial<ExportedChange>[];
  return {
    ticketId: String(row.ticketId),
    authorUsername: row.authorUsername,
    id: String(row.id),
    authorId: String(row.authorId),
    authorRole: row.authorRole,
    createdAt: isoDate(row.createdAt),
    comment: row.comment,
    internal: Boolean(row.internal),
    status: statusOrder[Number(row.status)] as TicketStatus,
    changes: changes.map((change) => ({
      field: String(change.field),
      from: change.from ?? null,
      to: change.to ?? null,
    })),
  };
}
