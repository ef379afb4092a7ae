import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { Ticket } from './ticket.entity';
import { TicketStatus, statusColumn } from './ticket.enums';

@ObjectType({
  description:
    'One field changed by a job, with its value before and after, as text (enum values by name, users by username).',
})
export class FieldChange {
  @Field(() => String)
  field: string;

  @Field(() => String, { nullable: true })
  from: string | null;

  @Field(() => String, { nullable: true })
  to: string | null;
}

/** History is append-only: jobs are inserted, never updated or deleted. */
@ObjectType({
  description:
    "Any modification of a ticket: who, when, what was said, what changed, and the ticket's status once done.",
})
@Entity('job')
@Index('IDX_job_ticket', ['ticketId', 'id'])
@Index('IDX_job_author', ['authorId'])
export class Job {
  @Field(() => ID)
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  ticketId: number;

  @ManyToOne(() => Ticket, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'ticketId' })
  ticket?: Ticket;

  @Column({ type: 'integer' })
  authorId: number;

  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'authorId' })
  author?: User;

  /** Set by insertJobs (job-rows.ts), like every column of a job; no default, so an insert cannot leave it out. */
  @Field(() => Role, {
    description: "The author's role when this job was written (their role may have changed since).",
  })
  @Column({ type: 'varchar', length: 10 })
  authorRole: Role;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  comment: string | null;

  @Field(() => Boolean, {
    description: "An internal note: seen by AGENT and ADMIN only, never by the ticket's USER author.",
  })
  @Column({ type: 'boolean', default: false })
  internal: boolean;

  @Field(() => TicketStatus)
  @Column(statusColumn)
  status: TicketStatus;

  @Field(() => [FieldChange])
  @Column({ type: 'simple-json' })
  changes: FieldChange[];
}
