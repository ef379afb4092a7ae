import type { MigrationInterface, QueryRunner } from 'typeorm';
import {
  answeringJob,
  backfillFirstResponse,
  setFirstResponse,
  teamFigureIndexNames,
  teamFigureIndexes,
} from '../1765700000000-team-figures';

/** PostgreSQL's TeamFigures1765700000000: the same column, trigger (through a function) and indexes. */
export class PostgresTeamFigures1765700000000 implements MigrationInterface {
  name = 'PostgresTeamFigures1765700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "ticket" ADD COLUMN "firstResponseAt" bigint`);
    await queryRunner.query(backfillFirstResponse);
    await queryRunner.query(`
      CREATE FUNCTION "job_first_response"() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN ${setFirstResponse}; RETURN NULL; END $$`);
    await queryRunner.query(`
      CREATE TRIGGER "TRG_job_first_response" AFTER INSERT ON "job" FOR EACH ROW
      WHEN (${answeringJob('NEW')}) EXECUTE FUNCTION "job_first_response"()`);
    for (const statement of teamFigureIndexes) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const name of teamFigureIndexNames) await queryRunner.query(`DROP INDEX "${name}"`);
    await queryRunner.query(`DROP TRIGGER "TRG_job_first_response" ON "job"`);
    await queryRunner.query(`DROP FUNCTION "job_first_response"()`);
    await queryRunner.query(`ALTER TABLE "ticket" DROP COLUMN "firstResponseAt"`);
  }
}
