import { User } from './user.entity';
import type { Locale, Role } from './role';

/** Every column of a user, quoted alike on SQLite and PostgreSQL, for statements that read users raw. */
export const userColumns =
  '"id", "username", "usernameKey", "email", "emailKey", "passwordHash", "role", "locale", "notifyByEmail", "emailVerified", "notifyNewTickets", "sessionVersion", "createdAt", "deactivatedAt"';

export interface UserRow {
  id: number;
  username: string;
  usernameKey: string;
  email: string;
  emailKey: string;
  passwordHash: string;
  role: string;
  locale: string;
  /** 0/1 on SQLite, a boolean on PostgreSQL. */
  notifyByEmail: number | boolean;
  emailVerified: number | boolean;
  notifyNewTickets: number | boolean;
  sessionVersion: number;
  /** Milliseconds since 1970 (bigint, read as a number on both databases). */
  createdAt: number | string;
  /** Milliseconds like createdAt; null (or absent from a row built by hand) for an active account. */
  deactivatedAt?: number | string | null;
}

/** The entity TypeORM would have built from the row, without its query builder and hydration. */
export function userFromRow(row: UserRow): User {
  const user = new User();
  user.id = row.id;
  user.username = row.username;
  user.usernameKey = row.usernameKey;
  user.email = row.email;
  user.emailKey = row.emailKey;
  user.passwordHash = row.passwordHash;
  user.role = row.role as Role;
  user.locale = row.locale as Locale;
  user.notifyByEmail = Boolean(row.notifyByEmail);
  user.emailVerified = Boolean(row.emailVerified);
  user.notifyNewTickets = Boolean(row.notifyNewTickets);
  user.sessionVersion = row.sessionVersion;
  user.createdAt = new Date(Number(row.createdAt));
  user.deactivatedAt = row.deactivatedAt == null ? null : new Date(Number(row.deactivatedAt));
  return user;
}
