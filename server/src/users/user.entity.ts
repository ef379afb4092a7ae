import { Field, ID, ObjectType } from 'type-graphql';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { timestampColumn } from '../database/timestamp';
import { Locale, Role } from './role';

@ObjectType()
@Entity('user')
export class User {
  @Field(() => ID)
  @PrimaryGeneratedColumn()
  id: number;

  @Field(() => String)
  @Column({ type: 'varchar', length: 32 })
  username: string;

  /** Lower-cased username: uniqueness and look-up without regard to case. */
  @Index('UQ_user_username_key', { unique: true })
  @Column({ type: 'varchar', length: 32 })
  usernameKey: string;

  // Exposed through UserResolver.email: visible only to the user themself and admins.
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Index('UQ_user_email_key', { unique: true })
  @Column({ type: 'varchar', length: 254 })
  emailKey: string;

  @Column({ type: 'varchar', length: 100 })
  passwordHash: string;

  @Field(() => Role)
  @Column({ type: 'varchar', length: 10 })
  role: Role;

  @Field(() => Locale)
  @Column({ type: 'varchar', length: 2, default: Locale.EN })
  locale: Locale;

  @Column({ type: 'boolean', default: true })
  notifyByEmail: boolean;

  /** Set when a link sent to the current address was followed; nothing else is sent before. */
  @Column({ type: 'boolean', default: false })
  emailVerified: boolean;

  /** Staff only: also be told of every new ticket (and of replies on unassigned ones). */
  @Column({ type: 'boolean', default: true })
  notifyNewTickets: boolean;

  /**
   * Random at registration, bumped by a password change: a token works only for the user it was issued
   * to (not for a later account that got the same id after a backup was restored) and only until then.
   */
  @Column({ type: 'integer', default: 0 })
  sessionVersion: number;

  @Field(() => Date)
  @Column(timestampColumn)
  createdAt: Date;

  /** Set by an admin: the account can no longer sign in, its history stays. Exposed as User.deactivated. */
  @Column({ ...timestampColumn, nullable: true })
  deactivatedAt: Date | null;
}
