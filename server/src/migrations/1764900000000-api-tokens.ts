import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Personal access tokens for integrations: only the secret's hash is kept. */
export class ApiTokens1764900000000 implements MigrationInterface {
  name = 'ApiTokens1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "api_token" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "userId" integer NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "name" varchar(100) NOT NULL,
        "scope" varchar(5) NOT NULL CHECK ("scope" IN ('READ', 'WRITE')),
        "secretHash" varchar(64) NOT NULL,
        "createdAt" bigint NOT NULL,
        "expiresAt" bigint,
        "lastUsedAt" bigint)`,
      `CREATE UNIQUE INDEX "UQ_api_token_secret_hash" ON "api_token" ("secretHash")`,
      `CREATE INDEX "IDX_api_token_user" ON "api_token" ("userId")`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "api_token"`);
  }
}
