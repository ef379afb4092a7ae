import type { MigrationInterface, QueryRunner } from 'typeorm';

/** User.deactivatedAt, as on SQLite (UserDeactivation1765300000000 there). */
export class PostgresUserDeactivation1765300000000 implements MigrationInterface {
  name = 'PostgresUserDeactivation1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user" ADD COLUMN "deactivatedAt" bigint`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "deactivatedAt"`);
  }
}
