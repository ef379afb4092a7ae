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
 * agent: their work must not vanish from the lead's view).
 * - Open work: a count per assignee, then each one's oldest open ticket sought by a LIMIT 1, both on the
 *   partial index IDX_ticket_open_assignee (its condition, status < 3, is written as that literal); the
 *   ticket's own row gives when it was opened.
 * - Resolved: the tickets closed in the period numbered per assignee by duration (window functions, on
 *   both databases); the middle one or two rows give the median. Ranks and counts are whole numbers, so
 *   (n + 1) / 2 and (n + 2) / 2 are integer divisions: the same rank for an odd n, the middle two else.
 */
export async function teamFigures(manager: EntityManager, scope: TeamScope): Promise<TeamMemberFigures[]> {
  const inProject = (alias: string) => (scope.projectId === undefined ? '' : `AND ${alias}."projectId" = ?`);
  const projectParameter = scope.projectId === undefined ? [] : [scope.projectId];
  // A missing bound reaches past any timestamp, as the other figures read a missing from/to.
  const closedFrom = scope.from?.getTime() ?? Number.MIN_SAFE_INTEGER;
  const closedTo = scope.to?.getTime() ?? Number.MAX_SAFE_INTEGER;
  const rows = await rawQuery<TeamRow[]>(
    manager,
    `SELECT u."id" AS "userId", u."username" AS "username",
        o."openAssigned" AS "openAssigned", oldest."id" AS "oldestId", oldest."createdAt" AS "oldestAt",
        r."resolved" AS "resolved", r."medianMs" AS "medianMs"
      FROM "user" u
      LEFT JOIN (
        SELECT c."assigneeId", c."openAssigned", (
          SELECT f."id" FROM "ticket" f
          WHERE f."assigneeId" = c."assigneeId" AND f."status" < ${firstDoneStatusRank} ${inProject('f')}
          ORDER BY f."createdAt", f."id" LIMIT 1
        ) AS "oldestId"
        FROM (
          SELECT t."assigneeId", COUNT(*) AS "openAssigned" FROM "ticket" t
          WHERE t."assigneeId" IS NOT NULL AND t."status" < ${firstDoneStatusRank} ${inProject('t')}
          GROUP BY t."assigneeId"
        ) c
      ) o ON o."assigneeId" = u."id"
      LEFT JOIN "ticket" oldest ON oldest."id" = o."oldestId"
      LEFT JOIN (
        SELECT d."assigneeId", d."resolved", AVG(d."duration") AS "medianMs" FROM (
          SELECT t."assigneeId", t."closedAt" - t."createdAt" AS "duration",
            COUNT(*) OVER (PARTITION BY t."assigneeId") AS "resolved",
            ROW_NUMBER() OVER (
              PARTITION BY t."assigneeId" ORDER BY t."closedAt" - t."createdAt", t."id"
            ) AS "position"
          FROM "ticket" t
          WHERE t."assigneeId" IS NOT NULL AND t."status" >= ${firstDoneStatusRank}
            AND t."closedAt" >= ? AND t."closedAt" < ? ${inProject('t')}
        ) d
        WHERE d."position" IN ((d."resolved" + 1) / 2, (d."resolved" + 2) / 2)
        GROUP BY d."assigneeId", d."resolved"
      ) r ON r."assigneeId" = u."id"
      WHERE (u."role" IN (?, ?) AND u."deactivatedAt" IS NULL)
        OR o."assigneeId" IS NOT NULL OR r."assigneeId" IS NOT NULL`,
    [
      ...projectParameter,
      ...projectParameter,
      closedFrom,
      closedTo,
      ...projectParameter,
      Role.AGENT,
      Role.ADMIN,
    ],
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
