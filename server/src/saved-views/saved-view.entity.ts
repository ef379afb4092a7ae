import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';
import { User } from '../users/user.entity';

/** A named filter of the ticket list, one person's own (the query bar's text, as the web client types it). */
@ObjectType({
  description:
    'A named ticket-list filter saved by a user, listed in the navigation. Only its owner sees it.',
})
@Entity('saved_view')
@Index('UQ_saved_view_user_name', ['userId', 'nameKey'], { unique: true })
@Index('IDX_saved_view_user_position', ['userId', 'position'])
export class SavedView {
  @Field(() => ID)
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'userId' })
  user?: User;

  @Field(() => String)
  @Column({ type: 'varchar', length: 60 })
  name: string;

  /** The name in lower case: one person's names are unique whatever their case. */
  @Column({ type: 'varchar', length: 60 })
  nameKey: string;

  @Field(() => String, {
    description:
      'The filter in the query-bar language, e.g. `is:open assignee:me project:"Mobile app" printer`.',
  })
  @Column({ type: 'varchar', length: 500 })
  query: string;

  @Field(() => Int, { description: 'Its place in the owner’s list, from 0.' })
  @Column({ type: 'integer' })
  position: number;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;
}
