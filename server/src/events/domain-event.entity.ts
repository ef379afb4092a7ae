import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';

/** What happened to a ticket; the job holds the details (changes, comment, internal flag). */
export enum DomainEventType {
  TICKET_OPENED = 'ticket.opened',
  TICKET_UPDATED = 'ticket.updated',
}

/**
 * The durable log of what happened, written in the same transaction as the change itself. Its id is
 * the order of events; consumers (email notifications now, webhooks and live updates later) read it
 * after their own cursor, so the rules never know who listens.
 */
@Entity('event')
@Index('IDX_event_ticket', ['ticketId', 'id'])
export class DomainEvent {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'varchar', length: 40 })
  type: DomainEventType;

  @Column({ type: 'integer' })
  ticketId: number;

  @Column({ type: 'integer' })
  jobId: number;

  @Column({ type: 'integer' })
  actorId: number;

  @Column(timestampColumn)
  createdAt: Date;
}

/** How far one consumer has read the event log. */
@Entity('event_consumer')
export class EventConsumerCursor {
  @Column({ type: 'varchar', length: 40, primary: true })
  name: string;

  @Column({ type: 'integer' })
  lastEventId: number;
}
