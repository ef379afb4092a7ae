import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The channel on which every instance hears that sessions it believes may have changed (app.ts). */
export const SESSION_CHANNEL = 'st_session';

/**
 * Any change to a person or to the revoked tokens notifies every instance listening on st_session, from
 * PostgreSQL itself: at commit, never for a rolled back transaction, whoever wrote it (another instance,
 * a command, an operator in psql). Each instance then forgets the sessions it believes
 * (auth/session-cache.ts). One notification per statement, folded into one per transaction.
 */
export class PostgresSessionNotify1765900000000 implements MigrationInterface {
  name = 'PostgresSessionNotify1765900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE FUNCTION "st_session_changed"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_notify('${SESSION_CHANNEL}', ''); RETURN NULL; END $$`,
    );
    for (const table of ['user', 'revoked_token']) {
      await queryRunner.query(
        `CREATE TRIGGER "TR_${table}_session" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION "st_session_changed"()`,
      );
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['user', 'revoked_token']) {
      await queryRunner.query(`DROP TRIGGER "TR_${table}_session" ON "${table}"`);
    }
    await queryRunner.query(`DROP FUNCTION "st_session_changed"()`);
  }
}
