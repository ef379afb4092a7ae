import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Covering indexes for the stats (issue 11): each figure reads one index and never the ticket rows. The
 * breakdown by project, status, category and priority reads the first (the figures of one project are a
 * range of it), a period reads the second, the closings per week and day the third, and the median time
 * to close walks the fourth, which holds the done tickets in order of that time. Same on PostgreSQL.
 */
export const statsIndexes = [
  `CREATE INDEX "IDX_ticket_stats_project" ON "ticket" ("projectId", "status", "category", "priority", "createdAt", "closedAt", "authorId", "assigneeId")`,
  `CREATE INDEX "IDX_ticket_stats_created" ON "ticket" ("createdAt", "projectId", "status", "category", "priority", "authorId", "assigneeId", "closedAt")`,
  `CREATE INDEX "IDX_ticket_stats_closed" ON "ticket" ("closedAt", "status", "projectId", "authorId")`,
  `CREATE INDEX "IDX_ticket_stats_duration" ON "ticket" (("closedAt" - "createdAt"), "projectId", "authorId", "createdAt", "closedAt") WHERE "status" >= 3 AND "closedAt" IS NOT NULL`,
];

export const statsIndexNames = [
  'IDX_ticket_stats_project',
  'IDX_ticket_stats_created',
  'IDX_ticket_stats_closed',
  'IDX_ticket_stats_duration',
];

export class StatsIndexes1765100000000 implements MigrationInterface {
  name = 'StatsIndexes1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of statsIndexes) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of statsIndexNames) await queryRunner.query(`DROP INDEX "${name}"`);
  }
}
