import type { MigrationInterface, QueryRunner } from 'typeorm';

/** PostgreSQL's TicketDuplicateOf1765400000000: the ticket a ticket closed as a duplicate duplicates. */
export class PostgresTicketDuplicateOf1765400000000 implements MigrationInterface {
  name = 'PostgresTicketDuplicateOf1765400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
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
