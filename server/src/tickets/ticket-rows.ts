import type { EntityManager } from 'typeorm';
import { rawQuery } from '../database/sql';
import {
  type Priority,
  type TicketCategory,
  type TicketStatus,
  priorityRank,
  statusRank,
} from './ticket.enums';

/** A ticket as it is stored, without its id. */
export interface NewTicket {
  projectId: number;
  title: string;
  description: string;
  status: TicketStatus;
  priority: Priority;
  category: TicketCategory;
  authorId: number;
  assigneeId: number | null;
  createdAt: Date;
  updatedAt: Date;
  closedAt: Date | null;
}

/**
 * Inserts one ticket row, every column set (status and priority as their rank, times in milliseconds),
 * and returns its id. One text for every ticket: prepared once on SQLite, where TypeORM's insert writes
 * numbers into the text and so prepares a new statement for every ticket.
 */
export async function insertTicket(manager: EntityManager, ticket: NewTicket): Promise<number> {
  const [row] = await rawQuery<{ id: number | string }[]>(
    manager,
    `INSERT INTO "ticket" ("title", "description", "status", "priority", "category", "projectId", "authorId",
       "assigneeId", "createdAt", "updatedAt", "closedAt")
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING "id"`,
    [
      ticket.title,
      ticket.description,
      statusRank(ticket.status),
      priorityRank(ticket.priority),
      ticket.category,
      ticket.projectId,
      ticket.authorId,
      ticket.assigneeId,
      ticket.createdAt.getTime(),
      ticket.updatedAt.getTime(),
      ticket.closedAt?.getTime() ?? null,
    ],
  );
  return Number(row.id);
}
