import { registerEnumType } from 'type-graphql';
import type { ValueTransformer } from 'typeorm';

export enum TicketStatus {
  OPEN = 'OPEN',
  IN_PROGRESS = 'IN_PROGRESS',
  WAITING = 'WAITING',
  RESOLVED = 'RESOLVED',
  CLOSED = 'CLOSED',
}
registerEnumType(TicketStatus, {
  name: 'TicketStatus',
  description:
    "Open statuses: OPEN, IN_PROGRESS, WAITING (waiting for the reporter).\nDone statuses: RESOLVED (solved; the last job says how), CLOSED (closed without a fix: duplicate, won't fix, withdrawn).",
});

export enum Priority {
  LOW = 'LOW',
  NORMAL = 'NORMAL',
  HIGH = 'HIGH',
  URGENT = 'URGENT',
}
registerEnumType(Priority, { name: 'Priority' });

export enum TicketCategory {
  BUG = 'BUG',
  IMPROVEMENT = 'IMPROVEMENT',
  QUESTION = 'QUESTION',
  OTHER = 'OTHER',
}
registerEnumType(TicketCategory, { name: 'TicketCategory' });

/**
 * Status and priority are stored as their rank (a small integer) so that sorting by them and the
 * "open" filter (rank below RESOLVED) use plain indexes.
 */
export const statusOrder = [
  TicketStatus.OPEN,
  TicketStatus.IN_PROGRESS,
  TicketStatus.WAITING,
  TicketStatus.RESOLVED,
  TicketStatus.CLOSED,
] as const;
export const priorityOrder = [Priority.LOW, Priority.NORMAL, Priority.HIGH, Priority.URGENT] as const;

export const statusRank = (status: TicketStatus): number => statusOrder.indexOf(status);
export const priorityRank = (priority: Priority): number => priorityOrder.indexOf(priority);
/** Ranks from this one on are done (RESOLVED, CLOSED). */
export const firstDoneStatusRank = statusRank(TicketStatus.RESOLVED);
export const isDone = (status: TicketStatus): boolean => statusRank(status) >= firstDoneStatusRank;

function rankTransformer<T>(order: readonly T[]): ValueTransformer {
  return {
    to: (value: T | undefined) => (value === undefined ? undefined : order.indexOf(value)),
    from: (value: number | null) => (value == null ? value : order[Number(value)]),
  };
}

export const statusColumn = { type: 'smallint', transformer: rankTransformer(statusOrder) } as const;
export const priorityColumn = { type: 'smallint', transformer: rankTransformer(priorityOrder) } as const;
