import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Files on tickets (issue 12), stored in the database so a backup and several instances need nothing
 * more. An upload waits unlinked (jobId NULL, and ticketId NULL for a ticket not yet created) until the
 * mutation that records its job links it.
 */
export class Attachments1765500000000 implements MigrationInterface {
  name = 'Attachments1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE "attachment" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "ticketId" integer REFERENCES "ticket" ("id") ON DELETE RESTRICT,
        "jobId" integer REFERENCES "job" ("id") ON DELETE RESTRICT,
        "authorId" integer NOT NULL REFERENCES "user" ("id") ON DELETE RESTRICT,
        "filename" varchar(200) NOT NULL,
        "contentType" varchar(100) NOT NULL,
        "size" integer NOT NULL,
        "content" blob NOT NULL,
        "createdAt" bigint NOT NULL
      )`);
    await queryRunner.query(`CREATE INDEX "IDX_attachment_ticket" ON "attachment" ("ticketId", "id")`);
    await queryRunner.query(`CREATE INDEX "IDX_attachment_job" ON "attachment" ("jobId")`);
    await queryRunner.query(
      `CREATE INDEX "IDX_attachment_unlinked" ON "attachment" ("createdAt") WHERE "jobId" IS NULL`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "attachment"`);
  }
}
