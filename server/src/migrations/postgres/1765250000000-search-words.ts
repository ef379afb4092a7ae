import type { MigrationInterface, QueryRunner } from 'typeorm';

const publicText = `"title" || ' ' || "description" || ' ' || "comments"`;

/**
 * What PostgreSQL searches in, as SQLite's prefix indexes do (SearchPrefixes1765200000000): per ticket
 * the words without positions, plus each word's prefixes of 1 to 3 characters, under GIN. A search
 * word of up to 3 characters is then one entry of the index (`dul` no longer merges the entries of
 * every word starting with `dul`: 53 → 9 ms for its bitmap at 100k tickets), a longer one a prefix of
 * few words. The vectors with positions stay, for ts_rank only; their GIN indexes go.
 *
 * The row itself shrinks to ~100 bytes: the texts and vectors all move to the TOAST table
 * (toast_tuple_target = 128), so counting the matches of a common word visits ~2,300 heap pages instead
 * of ~19,000. PostgreSQL only toasts a row past ~2 kB (TOAST_TUPLE_THRESHOLD), whatever the target: a
 * generated run of 2,048 spaces (stored compressed, 35 bytes, storage MAIN) puts every row past it.
 */
export class PostgresSearchWords1765250000000 implements MigrationInterface {
  name = 'PostgresSearchWords1765250000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE FUNCTION "ticket_search_words"(document text) RETURNS tsvector
       LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
       RETURN (SELECT strip(vector) || array_to_tsvector(ARRAY(
         SELECT DISTINCT left(lexeme, length)
         FROM unnest(tsvector_to_array(vector)) AS lexeme, generate_series(1, 3) AS length
         WHERE char_length(lexeme) > length))
       FROM to_tsvector('simple'::regconfig, document) AS vector)`,
    );
    // One rewrite of the table: the new columns computed, every row toasted down to its pointers.
    await queryRunner.query(
      `ALTER TABLE "ticket_search" SET (toast_tuple_target = 128),
       ADD COLUMN "publicWords" tsvector GENERATED ALWAYS AS (ticket_search_words(${publicText})) STORED,
       ADD COLUMN "staffWords" tsvector GENERATED ALWAYS AS
         (ticket_search_words(${publicText} || ' ' || "internalComments")) STORED,
       ADD COLUMN "rowPadding" text GENERATED ALWAYS AS (repeat(' ', 2048)) STORED,
       ALTER COLUMN "rowPadding" SET STORAGE MAIN`,
    );
    await queryRunner.query(`DROP INDEX "IDX_ticket_search_public"`);
    await queryRunner.query(`DROP INDEX "IDX_ticket_search_staff"`);
    await queryRunner.query(
      `CREATE INDEX "IDX_ticket_search_public_words" ON "ticket_search" USING GIN ("publicWords")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_ticket_search_staff_words" ON "ticket_search" USING GIN ("staffWords")`,
    );
    // The planner's figures for the new columns, before the first search rather than at autovacuum's pace.
    await queryRunner.query(`ANALYZE "ticket_search"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "IDX_ticket_search_public_words"`);
    await queryRunner.query(`DROP INDEX "IDX_ticket_search_staff_words"`);
    await queryRunner.query(
      `ALTER TABLE "ticket_search" DROP COLUMN "publicWords", DROP COLUMN "staffWords",
       DROP COLUMN "rowPadding", RESET (toast_tuple_target)`,
    );
    await queryRunner.query(`DROP FUNCTION "ticket_search_words"(text)`);
    await queryRunner.query(
      `CREATE INDEX "IDX_ticket_search_public" ON "ticket_search" USING GIN ("publicVector")`,
    );
    await queryRunner.query(
      `CREATE INDEX "IDX_ticket_search_staff" ON "ticket_search" USING GIN ("staffVector")`,
    );
  }
}
