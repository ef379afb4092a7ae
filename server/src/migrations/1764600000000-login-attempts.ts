import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Failed logins keyed by text instead of by user id: `user:<id>` for an account, `login:<login>` for a
 * login that matches none, so unknown logins lock exactly like real accounts and reveal nothing.
 */
export class LoginAttempts1764600000000 implements MigrationInterface {
  name = 'LoginAttempts1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "login_failure_new" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "key" varchar(300) NOT NULL,
        "at" bigint NOT NULL)`,
      `INSERT INTO "login_failure_new" ("key", "at")
        SELECT 'user:' || "userId", "at" FROM "login_failure"`,
      `DROP TABLE "login_failure"`,
      `ALTER TABLE "login_failure_new" RENAME TO "login_failure"`,
      `CREATE INDEX "IDX_login_failure_key_at" ON "login_failure" ("key", "at")`,
      // Housekeeping deletes every expired failure, whatever its key.
      `CREATE INDEX "IDX_login_failure_at" ON "login_failure" ("at")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "login_failure_old" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "userId" integer NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "at" bigint NOT NULL)`,
      `INSERT INTO "login_failure_old" ("userId", "at")
        SELECT CAST(substr("key", 6) AS integer), "at" FROM "login_failure"
        WHERE "key" LIKE 'user:%' AND CAST(substr("key", 6) AS integer) IN (SELECT "id" FROM "user")`,
      `DROP TABLE "login_failure"`,
      `ALTER TABLE "login_failure_old" RENAME TO "login_failure"`,
      `CREATE INDEX "IDX_login_failure_user_at" ON "login_failure" ("userId", "at")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }
}
