import type { MigrationInterface, QueryRunner } from 'typeorm';
import { statsIndexNames, statsIndexes } from '../1765100000000-stats-indexes';

/** The covering indexes of the stats, as on SQLite (StatsIndexes1765100000000 there). */
export class PostgresStatsIndexes1765100000000 implements MigrationInterface {
  name = 'PostgresStatsIndexes1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const statement of statsIndexes) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of statsIndexNames) await queryRunner.query(`DROP INDEX "${name}"`);
  }
}
