import type { EntityManager } from 'typeorm';
import { holdAppendOrder } from '../database/data-source';
import { DomainEventType } from '../events/domain-event.entity';
import type { EventLog } from '../events/event-log';
import type { User } from '../users/user.entity';
import { type FieldChange, Job } from './job.entity';
import { insertJobs } from './job-rows';
import type { Ticket } from './ticket.entity';

export interface JobContent {
  comment: string | null;
  internal: boolean;
  changes: FieldChange[];
  createdAt: Date;
}

/**
 * The one place where a ticket's history grows: the job and its domain event are written in the
 * caller's transaction. Whoever reacts to it (email, webhooks, live updates) reads the event log;
 * the ticket rules know none of them.
 */
export class JobRecorder {
  constructor(private readonly events: EventLog) {}

  async record(
    manager: EntityManager,
    ticket: Ticket,
    actor: User,
    content: JobContent,
    type: DomainEventType,
  ): Promise<Job> {
    await holdAppendOrder(manager);
    const row = { ...content, ticketId: ticket.id, authorId: actor.id, status: ticket.status };
    // authorRole null: the INSERT reads the author's role in this transaction, not actor.role, which was
    // read before it began (a promotion meanwhile counts).
    const [{ id, authorRole }] = await insertJobs(manager, [{ ...row, authorRole: null }]);
    const job = Object.assign(new Job(), row, { id, authorRole });
    await this.events.append(manager, {
      type,
      ticketId: ticket.id,
      jobId: job.id,
      actorId: actor.id,
      createdAt: content.createdAt,
    });
    return job;
  }
}
