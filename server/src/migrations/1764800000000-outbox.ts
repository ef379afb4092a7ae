import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Email and the seam for every side effect: the domain event log, consumer cursors, the durable
 * outbox, single-use email tokens, and the users' verified flag and new-ticket setting.
 */
export class Outbox1764800000000 implements MigrationInterface {
  name = 'Outbox1764800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `ALTER TABLE "user" ADD COLUMN "emailVerified" boolean NOT NULL DEFAULT (0)`,
      // Accounts made before verification existed keep their address as verified: they chose it and used
      // the product with it, and "email me when my tickets change" was already promised to them.
      `UPDATE "user" SET "emailVerified" = 1`,
      `ALTER TABLE "user" ADD COLUMN "notifyNewTickets" boolean NOT NULL DEFAULT (1)`,
      `CREATE TABLE "event" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "type" varchar(40) NOT NULL,
        "ticketId" integer NOT NULL REFERENCES "ticket" ("id") ON DELETE RESTRICT,
        "jobId" integer NOT NULL REFERENCES "job" ("id") ON DELETE RESTRICT,
        "actorId" integer NOT NULL REFERENCES "user" ("id") ON DELETE RESTRICT,
        "createdAt" bigint NOT NULL)`,
      `CREATE INDEX "IDX_event_ticket" ON "event" ("ticketId", "id")`,
      `CREATE TABLE "event_consumer" ("name" varchar(40) PRIMARY KEY NOT NULL, "lastEventId" integer NOT NULL)`,
      `CREATE TABLE "outbox_message" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "channel" varchar(16) NOT NULL,
        "recipient" varchar(2048) NOT NULL,
        "recipientUserId" integer REFERENCES "user" ("id") ON DELETE SET NULL,
        "template" varchar(40) NOT NULL,
        "params" text NOT NULL,
        "subject" varchar(300),
        "coalesceKey" varchar(160),
        "state" varchar(16) NOT NULL CHECK ("state" IN ('PENDING', 'SENT', 'FAILED', 'CANCELLED')),
        "attempts" integer NOT NULL DEFAULT (0),
        "lastError" text,
        "createdAt" bigint NOT NULL,
        "nextAttemptAt" bigint,
        "claimedUntil" bigint,
        "sentAt" bigint)`,
      `CREATE INDEX "IDX_outbox_due" ON "outbox_message" ("state", "nextAttemptAt")`,
      `CREATE INDEX "IDX_outbox_coalesce" ON "outbox_message" ("coalesceKey", "state")`,
      `CREATE TABLE "user_token" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "userId" integer NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "purpose" varchar(16) NOT NULL CHECK ("purpose" IN ('verify-email', 'reset-password')),
        "tokenHash" varchar(64) NOT NULL,
        "email" varchar(254),
        "createdAt" bigint NOT NULL,
        "expiresAt" bigint NOT NULL,
        "usedAt" bigint)`,
      `CREATE UNIQUE INDEX "UQ_user_token_hash" ON "user_token" ("tokenHash")`,
      `CREATE INDEX "IDX_user_token_user" ON "user_token" ("userId", "purpose")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['user_token', 'outbox_message', 'event_consumer', 'event']) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
    await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "notifyNewTickets"`);
    await queryRunner.query(`ALTER TABLE "user" DROP COLUMN "emailVerified"`);
  }
}
