import type { EntityManager } from 'typeorm';
import type { User } from './user.entity';

/**
 * What an account change sends or ends by email, in the transaction of the change (AccountsService).
 * UserService knows only this interface, so accounts/ builds on users/ and not the other way round.
 */
export interface AccountMail {
  /** A verification link to the user's current address; earlier ones stop working. */
  sendVerification(manager: EntityManager, user: User): Promise<void>;
  /** user holds the new address; the old one and whether it was verified are given. */
  emailChanged(manager: EntityManager, user: User, old: { email: string; verified: boolean }): Promise<void>;
  /** The owner changed the password (updateMe): reset links still pending stop working. */
  passwordChanged(manager: EntityManager, user: User): Promise<void>;
}
