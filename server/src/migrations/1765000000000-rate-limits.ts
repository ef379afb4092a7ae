import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Login throttles moved to the rate limits (rate-limiter-flexible, in ticketing.limits.sqlite beside
 * this file on SQLite): the login_failure table is read by nothing. Its rows were at most 15 minutes
 * of failures, so dropping them ends no lock that matters.
 */
export class RateLimits1765000000000 implements MigrationInterface {
  name = 'RateLimits1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "login_failure"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "login_failure" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "key" varchar(300) NOT NULL,
        "at" bigint NOT NULL)`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_login_failure_key_at" ON "login_failure" ("key", "at")`);
    await queryRunner.query(`CREATE INDEX "IDX_login_failure_at" ON "login_failure" ("at")`);
  }
}
