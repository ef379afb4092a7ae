import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The team table's open work (Stats.team): the open tickets per assignee, oldest first, with the project
 * to narrow them. Counting them per assignee and seeking each one's oldest read this index alone, where
 * the assignee's index read every open ticket's row (at 100,000 tickets, 40,000 open and assigned:
 * ~110 ms). The condition is the literal the statement repeats. The same on PostgreSQL.
 */
export const teamTableIndex = `CREATE INDEX "IDX_ticket_open_assignee" ON "ticket" ("assigneeId", "createdAt", "id", "projectId") WHERE "status" < 3`;

export class TeamTable1765810000000 implements MigrationInterface {
  name = 'TeamTable1765810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(teamTableIndex);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_ticket_open_assignee"`);
  }
}
