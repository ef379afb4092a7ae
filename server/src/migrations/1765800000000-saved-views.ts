import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Saved views (issue 13): one person's named filters of the ticket list, gone with their account. */
export class SavedViews1765800000000 implements MigrationInterface {
  name = 'SavedViews1765800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "saved_view" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "userId" integer NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "name" varchar(60) NOT NULL,
        "nameKey" varchar(60) NOT NULL,
        "query" varchar(500) NOT NULL,
        "position" integer NOT NULL,
        "createdAt" bigint NOT NULL
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX "UQ_saved_view_user_name" ON "saved_view" ("userId", "nameKey")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_saved_view_user_position" ON "saved_view" ("userId", "position")`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "saved_view"`);
  }
}
