import type { MigrationInterface, QueryRunner } from 'typeorm';

/** A job that answers the reporter: public, a non-empty comment, by someone who was staff when writing it. */
export const answeringJob = (alias: string) =>
  `NOT ${alias}."internal" AND ${alias}."comment" <> '' AND ${alias}."authorRole" IN ('AGENT', 'ADMIN')`;

/** Every ticket's first answer, from the jobs already written (an empty table on a new database). */
export const backfillFirstResponse = `UPDATE "ticket" SET "firstResponseAt" = (SELECT MIN("j"."createdAt") FROM "job" "j" WHERE "j"."ticketId" = "ticket"."id" AND ${answeringJob('"j"')})`;

/** Keeps a ticket's first answer as jobs are written (jobs are append-only: an insert is all it takes). */
export const setFirstResponse = `UPDATE "ticket" SET "firstResponseAt" = NEW."createdAt" WHERE "id" = NEW."ticketId" AND ("firstResponseAt" IS NULL OR "firstResponseAt" > NEW."createdAt")`;

/**
 * The figures' indexes, each covering what its statement reads: the median first response walks the
 * first in order of that time, as the median time to close does (IDX_ticket_stats_duration), or the
 * second within one project (SQLite otherwise seeks the project and reads its rows: 36 + 57 ms); the
 * open tickets by age read the third, open ones only. Same on PostgreSQL.
 */
export const teamFigureIndexes = [
  `CREATE INDEX "IDX_ticket_stats_first_response" ON "ticket" (("firstResponseAt" - "createdAt"), "projectId", "authorId", "createdAt", "firstResponseAt") WHERE "firstResponseAt" IS NOT NULL`,
  `CREATE INDEX "IDX_ticket_stats_first_response_project" ON "ticket" ("projectId", ("firstResponseAt" - "createdAt"), "authorId", "createdAt", "firstResponseAt") WHERE "firstResponseAt" IS NOT NULL`,
  `CREATE INDEX "IDX_ticket_open_age" ON "ticket" ("createdAt", "status", "projectId", "authorId") WHERE "status" < 3`,
];

export const teamFigureIndexNames = [
  'IDX_ticket_stats_first_response',
  'IDX_ticket_stats_first_response_project',
  'IDX_ticket_open_age',
];

/**
 * Stats.medianHoursToFirstResponse and Stats.openByAge (issue 13). A ticket keeps when it was first
 * answered (Ticket.firstResponseAt), set by a trigger on the job insert: the median then reads one
 * partial index, where reading each ticket's jobs cost ~250 ms at 100,000 tickets and 1,000,000 jobs.
 */
export class TeamFigures1765700000000 implements MigrationInterface {
  name = 'TeamFigures1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "ticket" ADD COLUMN "firstResponseAt" bigint`);
    await queryRunner.query(backfillFirstResponse);
    await queryRunner.query(`
      CREATE TRIGGER "TRG_job_first_response" AFTER INSERT ON "job"
      WHEN ${answeringJob('NEW')}
      BEGIN ${setFirstResponse}; END`);
    for (const statement of teamFigureIndexes) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of teamFigureIndexNames) await queryRunner.query(`DROP INDEX "${name}"`);
    await queryRunner.query(`DROP TRIGGER "TRG_job_first_response"`);
    await queryRunner.query(`ALTER TABLE "ticket" DROP COLUMN "firstResponseAt"`);
  }
}
