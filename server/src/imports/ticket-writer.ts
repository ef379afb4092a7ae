import type { EntityManager } from 'typeorm';
import { type JobRow, insertJobs } from '../tickets/job-rows';
import { searchIndexOf } from '../tickets/ticket-search';
import { type NewTicket, insertTicket } from '../tickets/ticket-rows';
import { holdAppendOrder } from '../database/data-source';

export type TicketRow = NewTicket;

/** A job of the ticket being written: its ticket is the one written with it. */
export type ImportedJob = Omit<JobRow, 'ticketId'>;

/** Jobs per INSERT statement: 9 parameters each, well within SQLite's and PostgreSQL's limits. */
const JOBS_PER_INSERT = 500;

/**
 * Writes imported tickets with their whole history as they were, in the import's transaction: straight
 * SQL, no JobRecorder, so no domain event (old history must not email or call webhooks), and the search
 * index filled as the ticket rules fill it (comments in order, internal notes apart).
 */
export class TicketWriter {
  constructor(private readonly manager: EntityManager) {}

  /** Inserts the ticket, its jobs in the given order and its search entry; returns the new ticket id. */
  async write(ticket: TicketRow, jobs: ImportedJob[]): Promise<number> {
    await holdAppendOrder(this.manager);
    const id = await insertTicket(this.manager, ticket);
    // Many rows per statement: one round trip per JOBS_PER_INSERT jobs (PostgreSQL pays per statement).
    for (let from = 0; from < jobs.length; from += JOBS_PER_INSERT) {
      const chunk = jobs.slice(from, from + JOBS_PER_INSERT);
      await insertJobs(
        this.manager,
        chunk.map((job) => ({ ...job, ticketId: id })),
      );
    }
    await searchIndexOf(this.manager).add(this.manager, {
      id,
      title: ticket.title,
      description: ticket.description,
    });
    const comments = (internal: boolean) =>
      jobs.filter((job) => job.internal === internal && job.comment).map((job) => job.comment as string);
    // One update per column: the same text as one addComment per comment, without rewriting the entry each time.
    for (const internal of [false, true]) {
      const text = comments(internal);
      if (text.length > 0)
        await searchIndexOf(this.manager).addComment(this.manager, id, text.join('\n'), internal);
    }
    return id;
  }
}
