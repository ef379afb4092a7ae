import crypto from 'node:crypto';
import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row naming this database: a random id created with it. Tokens carry it, so a token issued for a
 * deleted or replaced database never resolves to a user of another one (within one database, restored
 * from a backup, the user's random session version does that).
 */
export class Instance1764500000000 implements MigrationInterface {
  name = 'Instance1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "instance" (
        "id" varchar(64) PRIMARY KEY NOT NULL,
        "createdAt" bigint NOT NULL,
        "checkedAt" bigint NOT NULL)`,
    );
    const now = Date.now();
    await queryRunner.query(`INSERT INTO "instance" ("id", "createdAt", "checkedAt") VALUES (?, ?, ?)`, [
      crypto.randomBytes(16).toString('hex'),
      now,
      now,
    ]);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "instance"`);
  }
}
