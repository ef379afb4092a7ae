import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';

export enum OutboxState {
  PENDING = 'PENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(OutboxState, {
  name: 'OutboxState',
  valuesConfig: {
    FAILED: { description: 'Gave up after its retries; kept with its last error.' },
    CANCELLED: {
      description:
        'Not sent because there is nobody to send it to any more (lastError says why); never retried.',
    },
  },
});

const nullableTimestamp = { ...timestampColumn, nullable: true } as const;

/**
 * One message to deliver (an email or a webhook call), written in the transaction of what
 * caused it and delivered by the worker with retries; never dropped: it ends SENT, FAILED or CANCELLED.
 */
@ObjectType({ description: 'A message waiting in, or gone through, the durable outbox (ADMIN only).' })
@Entity('outbox_message')
@Index('IDX_outbox_due', ['state', 'nextAttemptAt'])
@Index('IDX_outbox_coalesce', ['coalesceKey', 'state'])
@Index('IDX_outbox_order', ['orderKey', 'id'])
export class OutboxMessage {
  @Field(() => ID)
  @PrimaryGeneratedColumn()
  id: number;

  @Field(() => String, { description: 'email or webhook.' })
  @Column({ type: 'varchar', length: 16 })
  channel: string;

  @Field(() => String, { description: 'The address or URL it goes to.' })
  @Column({ type: 'varchar', length: 2048 })
  recipient: string;

  /** The user it is for, when it is for one: their language and settings are read at sending time. */
  @Column({ type: 'integer', nullable: true })
  recipientUserId: number | null;

  /** Which renderer makes the message from params (e.g. ticket-activity, verify-email). */
  @Column({ type: 'varchar', length: 40 })
  template: string;

  @Column({ type: 'simple-json' })
  params: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  @Column({ type: 'varchar', length: 300, nullable: true })
  subject: string | null;

  /** Pending messages with the same key are merged into one (several jobs in a row: one email). */
  @Column({ type: 'varchar', length: 160, nullable: true })
  coalesceKey: string | null;

  /** Messages with the same key go out one at a time, in id order (one webhook's deliveries: job order). */
  @Column({ type: 'varchar', length: 160, nullable: true })
  orderKey: string | null;

  @Field(() => OutboxState)
  @Column({ type: 'varchar', length: 16 })
  state: OutboxState;

  @Field(() => Int)
  @Column({ type: 'integer', default: 0 })
  attempts: number;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  lastError: string | null;

  /** The HTTP status a webhook receiver answered at the last try; null for email, or when unreachable. */
  @Column({ type: 'integer', nullable: true })
  responseStatus: number | null;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;

  @Field(() => Date, { nullable: true })
  @Column(nullableTimestamp)
  nextAttemptAt: Date | null;

  /** Set while a worker sends it: another worker (or this one, again) leaves it alone until then. */
  @Column(nullableTimestamp)
  claimedUntil: Date | null;

  @Field(() => Date, { nullable: true })
  @Column(nullableTimestamp)
  sentAt: Date | null;
}
