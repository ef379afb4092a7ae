import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A ticket closed as a duplicate names the ticket it duplicates (issue 12). Tickets are never deleted
 * (their jobs hold them, ON DELETE RESTRICT), so the reference is kept as the others are.
 */
export class TicketDuplicateOf1765400000000 implements MigrationInterface {
  name = 'TicketDuplicateOf1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // SQLite adds a column with a REFERENCES clause only with a NULL default, which this one has.
    await queryRunner.query(
      `ALTER TABLE "ticket" ADD COLUMN "duplicateOfId" integer REFERENCES "ticket" ("id") ON DELETE RESTRICT`,
    );
    await queryRunner.query(`CREATE INDEX "IDX_ticket_duplicate_of" ON "ticket" ("duplicateOfId")`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_ticket_duplicate_of"`);
    await queryRunner.query(`ALTER TABLE "ticket" DROP COLUMN "duplicateOfId"`);
  }
}
