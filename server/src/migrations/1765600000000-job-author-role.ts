import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Job.authorRole (issue 12): the role the author had when the job was written, so a reporter later made
 * an agent still shows as a reporter on their old comments. Older jobs get their author's current role,
 * the best known. SQLite adds a NOT NULL column only with a default; the trigger refuses an insert that
 * leaves the role out, as PostgreSQL's column without a default does.
 */
export class JobAuthorRole1765600000000 implements MigrationInterface {
  name = 'JobAuthorRole1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job" ADD COLUMN "authorRole" varchar(10) NOT NULL DEFAULT ''`);
    await queryRunner.query(
      `UPDATE "job" SET "authorRole" = (SELECT "role" FROM "user" WHERE "user"."id" = "job"."authorId")`,
    );
    await queryRunner.query(`
      CREATE TRIGGER "TRG_job_author_role" BEFORE INSERT ON "job"
      WHEN NEW."authorRole" NOT IN ('USER', 'AGENT', 'ADMIN')
      BEGIN SELECT RAISE(ABORT, 'job.authorRole must be USER, AGENT or ADMIN'); END`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER "TRG_job_author_role"`);
    await queryRunner.query(`ALTER TABLE "job" DROP COLUMN "authorRole"`);
  }
}
