import type { EntityManager } from 'typeorm';
import { rawQuery } from '../database/sql';
import { firstDoneStatusRank } from '../tickets/ticket.enums';
import { Role } from '../users/role';
import type { TeamMemberFigures } from './team-figures.types';

export interface TeamScope {
  projectId?: number;
  from?: Date;
  to?: Date;
}

interface TeamRow {
  userId: string | number;
  username: string;
  openAssigned: string | number | null;
  oldestId: string | number | null;
  oldestAt: string | number | null;
  resolved: string | number | null;
  medianMs: string | number | null;
}

const MS_PER_HOUR = 3_600_000;

/**
 * The team table in one statement: every active AGENT and ADMIN (zeros included, so an idle agent shows),
 * plus anyone else who still holds open tickets or resolved some in the period (a deactivated or demoted
 * agent: their work must not vanish from the lead's view). Two window queries over the ticket alone do
 * the work: the open assigned tickets numbered per assignee from the oldest (the first row carries the
 * count and the oldest ticket), and the resolved ones numbered by duration, whose middle one or two rows
 * give the median. Ranks and counts are whole numbers, so (n + 1) / 2 and (n + 2) / 2 are integer
 * divisions on both databases: the same rank for an odd n, the middle two for an even one.
 */
export async function teamFigures(manager: EntityManager, scope: TeamScope): Promise<TeamMemberFigures[]> {
  const inProject = scope.projectId === undefined ? '' : 'AND t."projectId" = ?';
  const projectParameter = scope.projectId === undefined ? [] : [scope.projectId];
  // A missing bound reaches past any timestamp, as the other figures read a missing from/to.
  const closedFrom = scope.from?.getTime() ?? Number.MIN_SAFE_INTEGER;
  const closedTo = scope.to?.getTime() ?? Number.MAX_SAFE_INTEGER;
  const rows = await rawQuery<TeamRow[]>(
    manager,
    `SELECT u."id" AS "userId", u."username" AS "username",
        o."openAssigned" AS "openAssigned", o."id" AS "oldestId", o."createdAt" AS "oldestAt",
        r."resolved" AS "resolved", r."medianMs" AS "medianMs"
      FROM "user" u
      LEFT JOIN (
        SELECT w."assigneeId", w."openAssigned", w."id", w."createdAt" FROM (
          SELECT t."assigneeId", t."id", t."createdAt",
            COUNT(*) OVER (PARTITION BY t."assigneeId") AS "openAssigned",
            ROW_NUMBER() OVER (PARTITION BY t."assigneeId" ORDER BY t."createdAt", t."id") AS "position"
          FROM "ticket" t
          WHERE t."assigneeId" IS NOT NULL AND t."status" < ${firstDoneStatusRank} ${inProject}
        ) w WHERE w."position" = 1
      ) o ON o."assigneeId" = u."id"
      LEFT JOIN (
        SELECT d."assigneeId", d."resolved", AVG(d."duration") AS "medianMs" FROM (
          SELECT t."assigneeId", t."closedAt" - t."createdAt" AS "duration",
            COUNT(*) OVER (PARTITION BY t."assigneeId") AS "resolved",
            ROW_NUMBER() OVER (
              PARTITION BY t."assigneeId" ORDER BY t."closedAt" - t."createdAt", t."id"
            ) AS "position"
          FROM "ticket" t
          WHERE t."assigneeId" IS NOT NULL AND t."status" >= ${firstDoneStatusRank}
            AND t."closedAt" >= ? AND t."closedAt" < ? ${inProject}
        ) d
        WHERE d."position" IN ((d."resolved" + 1) / 2, (d."resolved" + 2) / 2)
        GROUP BY d."assigneeId", d."resolved"
      ) r ON r."assigneeId" = u."id"
      WHERE (u."role" IN (?, ?) AND u."deactivatedAt" IS NULL)
        OR o."assigneeId" IS NOT NULL OR r."assigneeId" IS NOT NULL`,
    [...projectParameter, closedFrom, closedTo, ...projectParameter, Role.AGENT, Role.ADMIN],
  );
  return (
    rows
      .map((row): TeamMemberFigures => ({
        userId: String(row.userId),
        username: row.username,
        openAssigned: Number(row.openAssigned ?? 0),
        resolved: Number(row.resolved ?? 0),
        medianHoursToClose: row.medianMs == null ? null : Number(row.medianMs) / MS_PER_HOUR,
        oldestOpenTicketId: row.oldestId == null ? null : String(row.oldestId),
        oldestOpenCreatedAt: row.oldestAt == null ? null : new Date(Number(row.oldestAt)),
      }))
      // Most open work first, then most resolved, then by name (in JS, so both databases agree on ties).
      .sort(
        (a, b) =>
          b.openAssigned - a.openAssigned || b.resolved - a.resolved || a.username.localeCompare(b.username),
      )
  );
}
