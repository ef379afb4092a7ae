import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';

@ObjectType()
@Entity('project')
export class Project {
  @Field(() => ID)
  @PrimaryGeneratedColumn()
  id: number;

  @Field(() => String)
  @Column({ type: 'varchar', length: 80 })
  name: string;

  /** Lower-cased name: project names are unique without regard to case. */
  @Index('UQ_project_name_key', { unique: true })
  @Column({ type: 'varchar', length: 80 })
  nameKey: string;

  // Resolved by ProjectResolver.description, which asks the access policy.
  @Field(() => String)
  @Column({ type: 'text', default: '' })
  description: string;

  @Field(() => Boolean)
  @Column({ type: 'boolean', default: false })
  archived: boolean;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;
}
