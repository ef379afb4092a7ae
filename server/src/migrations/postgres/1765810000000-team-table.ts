import type { MigrationInterface, QueryRunner } from 'typeorm';
import { teamTableIndex } from '../1765810000000-team-table';

/** PostgreSQL's TeamTable1765810000000: the same partial index. */
export class PostgresTeamTable1765810000000 implements MigrationInterface {
  name = 'PostgresTeamTable1765810000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(teamTableIndex);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_ticket_open_assignee"`);
  }
}
