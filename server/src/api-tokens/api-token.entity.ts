import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';
import { User } from '../users/user.entity';

export enum TokenScope {
  READ = 'READ',
  WRITE = 'WRITE',
}
registerEnumType(TokenScope, {
  name: 'TokenScope',
  valuesConfig: {
    READ: { description: 'Queries only.' },
    WRITE: { description: "Queries and mutations, with the rights of the token's owner." },
  },
});

const nullableTimestamp = { ...timestampColumn, nullable: true } as const;

/**
 * A personal access token. Its rights are its owner's, read fresh at every request (a demoted owner's
 * token is demoted with them; a removed owner's tokens go with the account), narrowed by its scope.
 */
@ObjectType({
  description:
    'A personal access token for an integration. Its secret is shown once, at creation; the service keeps only a hash.',
})
@Entity('api_token')
@Index('IDX_api_token_user', ['userId'])
export class ApiToken {
  @Field(() => ID)
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ type: 'integer' })
  userId: number;

  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'userId' })
  user?: User;

  @Field(() => String)
  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Field(() => TokenScope)
  @Column({ type: 'varchar', length: 5 })
  scope: TokenScope;

  /** SHA-256 of the secret, hex. */
  @Index('UQ_api_token_secret_hash', { unique: true })
  @Column({ type: 'varchar', length: 64 })
  secretHash: string;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'Null when it never expires.' })
  @Column(nullableTimestamp)
  expiresAt: Date | null;

  /** Written at most once a minute per token, so a busy integration does not write at every request. */
  @Field(() => Date, { nullable: true })
  @Column(nullableTimestamp)
  lastUsedAt: Date | null;
}
