import type { MigrationInterface, QueryRunner } from 'typeorm';

const columns = 'title, description, comments, internal_comments';

function createTable(name: string, prefixes: boolean): string {
  return `CREATE VIRTUAL TABLE "${name}" USING fts5(
        ${columns},
        tokenize = 'unicode61 remove_diacritics 2'${prefixes ? `,\n        prefix = '1 2 3'` : ''})`;
}

/**
 * Every search word matches as a prefix: FTS5 merged the index entries of every word starting with a
 * short one ("e", "th", "dul") at each query, in time proportional to all their matches. Prefix indexes
 * of 1 to 3 characters make such a word one entry. The table is rebuilt with the same content.
 */
export class SearchPrefixes1765200000000 implements MigrationInterface {
  name = 'SearchPrefixes1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await this.rebuild(queryRunner, true);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await this.rebuild(queryRunner, false);
  }

  private async rebuild(queryRunner: QueryRunner, prefixes: boolean): Promise<void> {
    await queryRunner.query(createTable('ticket_search_rebuilt', prefixes));
    await queryRunner.query(
      `INSERT INTO "ticket_search_rebuilt" (rowid, ${columns}) SELECT rowid, ${columns} FROM "ticket_search"`,
    );
    await queryRunner.query(`DROP TABLE "ticket_search"`);
    await queryRunner.query(`ALTER TABLE "ticket_search_rebuilt" RENAME TO "ticket_search"`);
  }
}
