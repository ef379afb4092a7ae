import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';
import { Project } from '../projects/project.entity';
import { User } from '../users/user.entity';
import { WebhookEvent } from './webhook-event';

// project and recentDeliveries are resolved by WebhookResolver.
@ObjectType({ description: 'ADMIN only. Where the service POSTs each new job, as it happens.' })
@Entity('webhook')
@Index('IDX_webhook_project', ['projectId'])
export class Webhook {
  @Field(() => ID)
  @PrimaryGeneratedColumn()
  id: number;

  @Field(() => String)
  @Column({ type: 'varchar', length: 2048 })
  url: string;

  /** Null: every project. */
  @Column({ type: 'integer', nullable: true })
  projectId: number | null;

  @ManyToOne(() => Project, { onDelete: 'CASCADE', nullable: true })
  @JoinColumn({ name: 'projectId' })
  project?: Project | null;

  @Field(() => [WebhookEvent])
  @Column({ type: 'simple-array' })
  events: WebhookEvent[];

  @Field(() => Boolean)
  @Column({ type: 'boolean', default: false })
  includeInternal: boolean;

  @Field(() => Boolean)
  @Column({ type: 'boolean', default: true })
  active: boolean;

  /** The signing secret, sealed with the outbox's LinkSecrets: the worker opens it to sign each delivery. */
  @Column({ type: 'varchar', length: 200 })
  secret: string;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;

  /** The admin who registered it; null once their account is gone. */
  @Column({ type: 'integer', nullable: true })
  createdById: number | null;

  @ManyToOne(() => User, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'createdById' })
  createdBy?: User | null;
}
