import type { MigrationInterface, QueryRunner } from 'typeorm';

/** When an admin deactivated the account (milliseconds since 1970); null for an active account. */
export class UserDeactivation1765300000000 implements MigrationInterface {
  name = 'UserDeactivation1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user" ADD COLUMN "deactivatedAt" bigint`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "deactivatedAt"`);
  }
}
