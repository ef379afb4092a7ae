import type { MigrationInterface, QueryRunner } from 'typeorm';

/** PostgreSQL's JobAuthorRole1765600000000: the author's role when the job was written, no default. */
export class PostgresJobAuthorRole1765600000000 implements MigrationInterface {
  name = 'PostgresJobAuthorRole1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job" ADD COLUMN "authorRole" varchar(10)`);
    await queryRunner.query(
      `UPDATE "job" SET "authorRole" = "user"."role" FROM "user" WHERE "user"."id" = "job"."authorId"`,
    );
    await queryRunner.query(`ALTER TABLE "job" ALTER COLUMN "authorRole" SET NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "job" DROP COLUMN "authorRole"`);
  }
}
