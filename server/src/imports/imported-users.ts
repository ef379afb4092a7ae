import { randomInt } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { Locale, Role } from '../users/role';
import { normalizeKey } from '../users/user-key';
import { rawQuery } from '../database/sql';

/** Not a bcrypt hash, so no password ever matches it: the account is opened by a password reset. */
export const UNUSABLE_PASSWORD_HASH = '!imported: set through password reset';

const USERNAME_MAX_LENGTH = 32;
const LOOKUP_CHUNK = 500;

export interface AccountToCreate {
  email: string;
  username: string;
  role: Role;
  locale: Locale;
  createdAt: Date;
}

/** A username an email would get: its local part, with the characters usernames allow. */
export function usernameFromEmail(email: string): string {
  const local = email
    .split('@')[0]
    .replace(/[^A-Za-z0-9._-]+/g, '.')
    .slice(0, USERNAME_MAX_LENGTH);
  return local.length >= 3 ? local : `${local}.user`.slice(0, USERNAME_MAX_LENGTH);
}

/**
 * The accounts an import works with, matched by email without regard to case, in the import's
 * transaction. A new account keeps the name it had elsewhere, with a suffix when that name is taken here.
 */
export class ImportedUsers {
  private constructor(
    private readonly manager: EntityManager,
    private readonly idByEmail: Map<string, number>,
    private readonly usernameKeys: Set<string>,
    private readonly roleByEmail: Map<string, Role>,
  ) {}

  /** Finds the accounts that already hold these emails (lower-cased keys). */
  static async find(manager: EntityManager, emailKeys: Iterable<string>): Promise<ImportedUsers> {
    const keys = [...new Set(emailKeys)];
    const idByEmail = new Map<string, number>();
    const roleByEmail = new Map<string, Role>();
    for (let from = 0; from < keys.length; from += LOOKUP_CHUNK) {
      const chunk = keys.slice(from, from + LOOKUP_CHUNK);
      const rows = (await rawQuery(
        manager,
        `SELECT "id", "emailKey", "role" FROM "user" WHERE "emailKey" IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      )) as { id: number; emailKey: string; role: Role }[];
      for (const row of rows) {
        idByEmail.set(row.emailKey, Number(row.id));
        roleByEmail.set(row.emailKey, row.role);
      }
    }
    const names = (await rawQuery(manager, `SELECT "usernameKey" FROM "user"`)) as { usernameKey: string }[];
    return new ImportedUsers(manager, idByEmail, new Set(names.map((row) => row.usernameKey)), roleByEmail);
  }

  idOf(emailKey: string): number | undefined {
    return this.idByEmail.get(emailKey);
  }

  /** The role an existing account has here (matched by email): it, not the file's, is what counts. */
  roleOf(emailKey: string): Role | undefined {
    return this.roleByEmail.get(emailKey);
  }

  /** A dry run's stand-in for create: the email counts as known from now on. */
  reserve(emailKey: string): number {
    this.idByEmail.set(emailKey, 0);
    return 0;
  }

  /** A free username: the wanted one, or it with -2, -3… within the 32 characters allowed. */
  private freeUsername(wanted: string): string {
    for (let suffix = 1; ; suffix += 1) {
      const tail = suffix === 1 ? '' : `-${suffix}`;
      const candidate = wanted.slice(0, USERNAME_MAX_LENGTH - tail.length) + tail;
      if (!this.usernameKeys.has(normalizeKey(candidate))) return candidate;
    }
  }

  /** Creates the account without a usable password; returns its id and the username it got. */
  async create(account: AccountToCreate): Promise<{ id: number; username: string }> {
    const username = this.freeUsername(account.username);
    const emailKey = normalizeKey(account.email);
    const [row] = (await rawQuery(
      this.manager,
      `INSERT INTO "user" ("username", "usernameKey", "email", "emailKey", "passwordHash", "role", "locale",
         "notifyByEmail", "emailVerified", "notifyNewTickets", "sessionVersion", "createdAt")
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
      [
        username,
        normalizeKey(username),
        account.email.trim(),
        emailKey,
        UNUSABLE_PASSWORD_HASH,
        account.role,
        account.locale,
        1,
        // Unverified: nothing is mailed to it until a password reset link proves the address.
        0,
        1,
        // Random start, like registration: no token issued elsewhere can match.
        randomInt(1, 2 ** 31 - 1),
        account.createdAt.getTime(),
      ],
    )) as { id: number }[];
    const id = Number(row.id);
    this.usernameKeys.add(normalizeKey(username));
    this.idByEmail.set(emailKey, id);
    return { id, username };
  }
}
