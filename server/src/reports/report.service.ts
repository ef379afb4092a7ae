import { In } from 'typeorm';
import { canReadProjectReport, whereJobInProjectReport } from '../access/access-policy';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError } from '../errors';
import type { Project } from '../projects/project.entity';
import type { ProjectService } from '../projects/project.service';
import { MAX_PERIOD_MS } from '../stats/stats-periods';
import type { StatsService } from '../stats/stats.service';
import type { Stats } from '../stats/stats.types';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import type { Locale } from '../users/role';
import { User } from '../users/user.entity';
import type { ReportQuery } from './report.inputs';

/** Who did something, as the report names them. */
export type ReportPerson = Pick<User, 'id' | 'username' | 'role'>;

export interface ProjectReport {
  reader: User;
  locale: Locale;
  project: Project;
  /** The tickets opened in [from, to) are listed and counted. */
  from: Date;
  to: Date;
  /** The figures of StatsService over the same project and period. */
  stats: Stats;
  generatedAt: Date;
}

export interface ReportTicket {
  ticket: Ticket;
  author: ReportPerson;
  assignee: ReportPerson | null;
  /** The public history, oldest first. */
  jobs: { job: Job; author: ReportPerson }[];
}

/** Tickets per batch: a project of any size is written out with a bounded amount in memory. */
export const REPORT_BATCH_SIZE = 100;

/**
 * The printable project report: who may read it, over which period, with which figures, and its
 * tickets in batches. Rendering is report.renderer.ts's; this holds the rules.
 */
export class ReportService {
  constructor(
    private readonly database: Database,
    private readonly projects: Pick<ProjectService, 'get'>,
    private readonly stats: Pick<StatsService, 'stats'>,
    private readonly clock: Clock,
  ) {}

  /** Checks everything before a byte is sent: a refusal is a clean error, never a half-written page. */
  async open(reader: User, projectId: number, query: ReportQuery): Promise<ProjectReport> {
    if (!canReadProjectReport(reader))
      throw new ForbiddenError('Only an agent or an admin can read a project report.');
    // Staff see archived projects too; an unknown one is NOT_FOUND.
    const project = await this.projects.get(reader, projectId);
    const now = this.clock.now();
    if (query.from && query.to && query.from.getTime() >= query.to.getTime()) {
      throw BadInputError.field('from', 'range', 'from must not be after to.');
    }
    const to = query.to ?? now;
    const from = query.from ?? (await this.defaultStart(project, to));
    const stats = await this.stats.stats(reader, { projectId: project.id, from, to: query.to });
    return { reader, locale: query.locale ?? reader.locale, project, from, to, stats, generatedAt: now };
  }

  /**
   * Without `from`, the report starts with the project's first ticket (imported ones may predate the
   * project), at most the 260 weeks the figures allow before its end.
   */
  private async defaultStart(project: Project, end: Date): Promise<Date> {
    const row = await this.database.manager
      .createQueryBuilder(Ticket, 't')
      .select('MIN(t.createdAt)', 'first')
      .where('t.projectId = :projectId', { projectId: project.id })
      .getRawOne<{ first: string | number | null }>();
    const first = row?.first == null ? project.createdAt.getTime() : Number(row.first);
    return new Date(Math.min(end.getTime(), Math.max(first, end.getTime() - MAX_PERIOD_MS)));
  }

  /** The period's tickets by number, each with its public history, REPORT_BATCH_SIZE at a time. */
  async *tickets(report: ProjectReport, batchSize = REPORT_BATCH_SIZE): AsyncGenerator<ReportTicket[]> {
    let afterId = 0;
    for (;;) {
      const tickets = await this.database.manager
        .createQueryBuilder(Ticket, 't')
        .where('t.projectId = :projectId', { projectId: report.project.id })
        .andWhere('t.createdAt >= :from AND t.createdAt < :to', {
          from: report.from.getTime(),
          to: report.to.getTime(),
        })
        .andWhere('t.id > :afterId', { afterId })
        .orderBy('t.id', 'ASC')
        .limit(batchSize)
        .getMany();
      if (tickets.length === 0) return;
      yield await this.withHistory(tickets);
      afterId = tickets[tickets.length - 1].id;
      if (tickets.length < batchSize) return;
    }
  }

  /** Two more statements per batch, whatever its size: the jobs, then every person named. */
  private async withHistory(tickets: Ticket[]): Promise<ReportTicket[]> {
    const jobs = await whereJobInProjectReport(
      this.database.manager
        .createQueryBuilder(Job, 'j')
        .where('j.ticketId IN (:...ticketIds)', { ticketIds: tickets.map((ticket) => ticket.id) }),
    )
      .orderBy('j.ticketId', 'ASC')
      .addOrderBy('j.id', 'ASC')
      .getMany();
    const personIds = new Set<number>();
    for (const ticket of tickets) {
      personIds.add(ticket.authorId);
      if (ticket.assigneeId !== null) personIds.add(ticket.assigneeId);
    }
    for (const job of jobs) personIds.add(job.authorId);
    const people = await this.database.manager.find(User, {
      select: { id: true, username: true, role: true },
      where: { id: In([...personIds]) },
    });
    const personById = new Map(people.map((person) => [person.id, person]));
    const person = (id: number): ReportPerson => personById.get(id)!;
    const jobsByTicket = new Map<number, ReportTicket['jobs']>();
    for (const job of jobs) {
      const list = jobsByTicket.get(job.ticketId) ?? [];
      list.push({ job, author: person(job.authorId) });
      jobsByTicket.set(job.ticketId, list);
    }
    return tickets.map((ticket) => ({
      ticket,
      author: person(ticket.authorId),
      assignee: ticket.assigneeId === null ? null : person(ticket.assigneeId),
      jobs: jobsByTicket.get(ticket.id) ?? [],
    }));
  }
}
