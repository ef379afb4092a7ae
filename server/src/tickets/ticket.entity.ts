import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';
import { Project } from '../projects/project.entity';
import { User } from '../users/user.entity';
import { Priority, TicketCategory, TicketStatus, priorityColumn, statusColumn } from './ticket.enums';

// project, author, assignee and jobs are resolved by TicketResolver through DataLoaders.
@ObjectType()
@Entity('ticket')
@Index('IDX_ticket_author_created', ['authorId', 'createdAt'])
@Index('IDX_ticket_project_status', ['projectId', 'status'])
@Index('IDX_ticket_assignee_status', ['assigneeId', 'status'])
@Index('IDX_ticket_status_priority', ['status', 'priority', 'id'])
@Index('IDX_ticket_created', ['createdAt'])
@Index('IDX_ticket_updated', ['updatedAt'])
@Index('IDX_ticket_duplicate_of', ['duplicateOfId'])
// The stats' covering indexes (migration StatsIndexes1765100000000); the last one is on an expression.
@Index('IDX_ticket_stats_project', [
  'projectId',
  'status',
  'category',
  'priority',
  'createdAt',
  'closedAt',
  'authorId',
  'assigneeId',
])
@Index('IDX_ticket_stats_created', [
  'createdAt',
  'projectId',
  'status',
  'category',
  'priority',
  'authorId',
  'assigneeId',
  'closedAt',
])
@Index('IDX_ticket_stats_closed', ['closedAt', 'status', 'projectId', 'authorId'])
@Index('IDX_ticket_stats_duration', { synchronize: false })
// The team figures' partial indexes (migration TeamFigures1765700000000).
@Index('IDX_ticket_stats_first_response', { synchronize: false })
@Index('IDX_ticket_stats_first_response_project', { synchronize: false })
@Index('IDX_ticket_open_age', { synchronize: false })
// The team table's open work (migration TeamTable1765810000000).
@Index('IDX_ticket_open_assignee', { synchronize: false })
export class Ticket {
  @Field(() => ID, { description: 'The ticket number.' })
  @PrimaryGeneratedColumn()
  id: number;

  @Field(() => String)
  @Column({ type: 'varchar', length: 200 })
  title: string;

  @Field(() => String)
  @Column({ type: 'text' })
  description: string;

  @Field(() => TicketStatus)
  @Column(statusColumn)
  status: TicketStatus;

  @Field(() => Priority)
  @Column(priorityColumn)
  priority: Priority;

  @Field(() => TicketCategory)
  @Column({ type: 'varchar', length: 12 })
  category: TicketCategory;

  @Column({ type: 'integer' })
  projectId: number;

  @ManyToOne(() => Project, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'projectId' })
  project?: Project;

  @Column({ type: 'integer' })
  authorId: number;

  @ManyToOne(() => User, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'authorId' })
  author?: User;

  @Column({ type: 'integer', nullable: true })
  assigneeId: number | null;

  @ManyToOne(() => User, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'assigneeId' })
  assignee?: User | null;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;

  @Field(() => Date)
  @Column(timestampColumn)
  updatedAt: Date;

  @Field(() => Date, {
    nullable: true,
    description: 'When the ticket last entered RESOLVED or CLOSED; null while it is open.',
  })
  @Column({ ...timestampColumn, nullable: true })
  closedAt: Date | null;

  /**
   * The ticket this one was closed as a duplicate of; set only while it is CLOSED. Read by the
   * duplicate resolvers (duplicate.resolver.ts), not by the loaders' ticket rows.
   */
  @Column({ type: 'integer', nullable: true })
  duplicateOfId: number | null;

  @ManyToOne(() => Ticket, { onDelete: 'RESTRICT', nullable: true })
  @JoinColumn({ name: 'duplicateOfId' })
  duplicateOf?: Ticket | null;

  /**
   * When the ticket was first answered (a public comment by staff), for the stats' median. Written only by
   * the database (trigger TRG_job_first_response on the job insert), never by TypeORM, and read by the
   * stats alone.
   */
  @Column({ ...timestampColumn, nullable: true, select: false, insert: false, update: false })
  firstResponseAt?: Date | null;
}
