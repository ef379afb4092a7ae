import type { EntityManager } from 'typeorm';
import { rawQuery } from '../database/sql';
import type { Role } from '../users/role';
import type { FieldChange } from './job.entity';
import { type TicketStatus, statusRank } from './ticket.enums';

/** A job as it is stored, without its id. */
export interface JobRow {
  ticketId: number;
  authorId: number;
  /**
   * The author's role when the job was written. null: their role as it is now, read by the INSERT itself,
   * so in the writer's transaction (not from a copy of the user read earlier, before a promotion).
   */
  authorRole: Role | null;
  createdAt: Date;
  comment: string | null;
  internal: boolean;
  status: TicketStatus;
  changes: FieldChange[];
}

const COLUMNS =
  '"ticketId", "authorId", "authorRole", "createdAt", "comment", "internal", "status", "changes"';
/** 9 parameters a row. */
const ROW = '(?, ?, COALESCE(?, (SELECT "role" FROM "user" WHERE "id" = ?)), ?, ?, ?, ?, ?)';

/**
 * Every job row goes in through here (the ticket rules' JobRecorder, imports): one statement for the
 * rows, each column set, the author's role included. Returns the new ids and roles, in the rows' order.
 */
export async function insertJobs(
  manager: EntityManager,
  rows: readonly JobRow[],
): Promise<{ id: number; authorRole: Role }[]> {
  if (rows.length === 0) return [];
  const inserted = (await rawQuery(
    manager,
    `INSERT INTO "job" (${COLUMNS}) VALUES ${rows.map(() => ROW).join(', ')} RETURNING "id", "authorRole"`,
    rows.flatMap((row) => [
      row.ticketId,
      row.authorId,
      row.authorRole,
      row.authorId,
      row.createdAt.getTime(),
      row.comment,
      row.internal ? 1 : 0,
      statusRank(row.status),
      JSON.stringify(row.changes.map(({ field, from, to }) => ({ field, from, to }))),
    ]),
  )) as { id: number | string; authorRole: Role }[];
  // RETURNING promises no order: ids grow with the rows' order in one statement, on both databases.
  return inserted
    .map((row) => ({ id: Number(row.id), authorRole: row.authorRole }))
    .sort((a, b) => a.id - b.id);
}
