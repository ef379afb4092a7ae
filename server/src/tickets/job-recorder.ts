import type { EntityManager } from 'typeorm';
import { holdAppendOrder } from '../database/data-source';
import { DomainEventType } from '../events/domain-event.entity';
import type { EventLog } from '../events/event-log';
import type { User } from '../users/user.entity';
import { type FieldChange, Job } from './job.entity';
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
    const job = await manager.save(
      manager.create(Job, { ...content, ticketId: ticket.id, authorId: actor.id, status: ticket.status }),
    );
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
