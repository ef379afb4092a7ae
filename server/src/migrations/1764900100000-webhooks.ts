import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhooks: where each new job is POSTed, and the outbox columns their deliveries need (one webhook's
 * deliveries go out in order; the receiver's HTTP status is kept).
 */
export class Webhooks1764900100000 implements MigrationInterface {
  name = 'Webhooks1764900100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "webhook" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "url" varchar(2048) NOT NULL,
        "projectId" integer REFERENCES "project" ("id") ON DELETE CASCADE,
        "events" text NOT NULL,
        "includeInternal" boolean NOT NULL DEFAULT (0),
        "active" boolean NOT NULL DEFAULT (1),
        "secret" varchar(200) NOT NULL,
        "createdAt" bigint NOT NULL,
        "createdById" integer REFERENCES "user" ("id") ON DELETE SET NULL)`,
      `CREATE INDEX "IDX_webhook_project" ON "webhook" ("projectId")`,
      `ALTER TABLE "outbox_message" ADD COLUMN "orderKey" varchar(160)`,
      `ALTER TABLE "outbox_message" ADD COLUMN "responseStatus" integer`,
      `CREATE INDEX "IDX_outbox_order" ON "outbox_message" ("orderKey", "id")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_outbox_order"`);
    await queryRunner.query(`ALTER TABLE "outbox_message" DROP COLUMN "responseStatus"`);
    await queryRunner.query(`ALTER TABLE "outbox_message" DROP COLUMN "orderKey"`);
    await queryRunner.query(`DROP TABLE "webhook"`);
  }
}
