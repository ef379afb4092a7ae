import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { canSeeProject, canSeeTicket, whereJobVisible } from '../access/access-policy';
import type { Database } from '../database/data-source';
import { NotFoundError } from '../errors';
import { parseOptionalId } from '../ids';
import { Project } from '../projects/project.entity';
import { decodeCursor, encodeCursor } from '../tickets/cursor';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import type { User } from '../users/user.entity';
import type { HistoryFilter } from './history.inputs';
import { JobConnection } from './history.types';

/** The cursor key of the feed: a job id, so a cursor of any other list is refused. */
const CURSOR_KEY = 'JOB';

export interface HistoryRequest {
  filter?: HistoryFilter | null;
  first: number;
  after?: string | null;
}

interface Narrowing {
  projectId?: number;
  ticketId?: number;
  since?: Date | null;
}

/**
 * The history feed: every job the viewer may see, oldest first by id, for integrations that poll
 * "everything after my last cursor". A cursor is a job id, so it stays valid while jobs are added.
 *
 * No job is missed or repeated because ids become visible in increasing order: on SQLite every write
 * transaction is serialised (one queue, BEGIN IMMEDIATE), so a job's id is higher than that of every job
 * committed before it, and the feed reads between transactions (readCommitted), never one in flight.
 * PostgreSQL hands out ids before commit, in any order: there, a transaction appending a job holds an
 * advisory lock from before its id is taken until its commit (holdAppendOrder), so ids become visible in
 * order there too.
 */
export class HistoryService {
  constructor(private readonly database: Database) {}

  async list(viewer: User, request: HistoryRequest): Promise<JobConnection> {
    const filter = request.filter ?? {};
    const narrowing: Narrowing = {
      projectId: parseOptionalId('projectId', filter.projectId),
      ticketId: parseOptionalId('ticketId', filter.ticketId),
      since: filter.since,
    };
    // Checked before any SQL: a bad cursor is the client's mistake, whatever the database holds.
    const afterId = request.after ? (decodeCursor(request.after, CURSOR_KEY) as { id: number }).id : 0;
    return this.database.readCommitted(async (manager) => {
      await this.assertNarrowingVisible(manager, viewer, narrowing);
      const rows = await this.visible(manager, viewer, narrowing)
        .andWhere('j.id > :afterId', { afterId })
        .orderBy('j.id', 'ASC')
        .limit(request.first + 1)
        .getMany();
      const edges = rows.slice(0, request.first).map((job) => ({
        node: job,
        cursor: encodeCursor({ key: CURSOR_KEY, value: null, id: job.id }),
      }));
      return new JobConnection(
        edges,
        { hasNextPage: rows.length > request.first, endCursor: edges.at(-1)?.cursor ?? null },
        // A count needs no commit order: it runs beside the writers, not in their queue.
        () => this.visible(this.database.manager, viewer, narrowing).getCount(),
      );
    });
  }

  /** A project or ticket the viewer may not see is answered like one that does not exist, as ticket(id) does. */
  private async assertNarrowingVisible(
    manager: EntityManager,
    viewer: User,
    { projectId, ticketId }: Narrowing,
  ): Promise<void> {
    if (projectId !== undefined) {
      const project = await manager.findOneBy(Project, { id: projectId });
      if (!project || !canSeeProject(viewer, project)) throw new NotFoundError('Project', projectId);
    }
    if (ticketId !== undefined) {
      const ticket = await manager.findOneBy(Ticket, { id: ticketId });
      if (!ticket || !canSeeTicket(viewer, ticket)) throw new NotFoundError('Ticket', ticketId);
    }
  }

  /** The jobs the viewer may see, narrowed by the filter, without the cursor (totalCount counts them all). */
  private visible(manager: EntityManager, viewer: User, narrowing: Narrowing): SelectQueryBuilder<Job> {
    const query = whereJobVisible(
      manager.createQueryBuilder(Job, 'j').innerJoin(Ticket, 't', 't.id = j.ticketId'),
      viewer,
      'j',
      't',
    );
    if (narrowing.projectId !== undefined)
      query.andWhere('t.projectId = :projectId', { projectId: narrowing.projectId });
    if (narrowing.ticketId !== undefined)
      query.andWhere('j.ticketId = :ticketId', { ticketId: narrowing.ticketId });
    if (narrowing.since) query.andWhere('j.createdAt > :since', { since: narrowing.since.getTime() });
    return query;
  }
}
