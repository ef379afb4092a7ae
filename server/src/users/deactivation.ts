import { BadInputError } from '../errors';
import type { User } from './user.entity';

/** What a deactivated account is told when it signs in with the right password. */
export const DEACTIVATED_ACCOUNT_MESSAGE = 'This account has been deactivated: ask an administrator.';

export function isDeactivated(user: Pick<User, 'deactivatedAt'>): boolean {
  return user.deactivatedAt != null;
}

/** A deactivated account keeps what it did but takes no new work (a ticket's assignee). */
export function assertActiveAccount(user: Pick<User, 'username' | 'deactivatedAt'>, field: string): void {
  if (isDeactivated(user)) {
    throw BadInputError.field(field, 'notAssignable', `${field}: ${user.username}'s account is deactivated.`);
  }
}
