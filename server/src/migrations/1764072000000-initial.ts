import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Users, projects, tickets with their history (jobs), sessions, login throttling and the search index. */
export class Initial1764072000000 implements MigrationInterface {
  name = 'Initial1764072000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const statements = [
      `CREATE TABLE "user" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "username" varchar(32) NOT NULL,
        "usernameKey" varchar(32) NOT NULL,
        "email" varchar(254) NOT NULL,
        "emailKey" varchar(254) NOT NULL,
        "passwordHash" varchar(100) NOT NULL,
        "role" varchar(10) NOT NULL CHECK ("role" IN ('USER', 'AGENT', 'ADMIN')),
        "locale" varchar(2) NOT NULL DEFAULT ('EN') CHECK ("locale" IN ('EN', 'FR')),
        "notifyByEmail" boolean NOT NULL DEFAULT (1),
        "sessionVersion" integer NOT NULL DEFAULT (0),
        "createdAt" bigint NOT NULL)`,
      `CREATE UNIQUE INDEX "UQ_user_username_key" ON "user" ("usernameKey")`,
      `CREATE UNIQUE INDEX "UQ_user_email_key" ON "user" ("emailKey")`,
      `CREATE TABLE "project" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "name" varchar(80) NOT NULL,
        "nameKey" varchar(80) NOT NULL,
        "description" text NOT NULL DEFAULT (''),
        "archived" boolean NOT NULL DEFAULT (0),
        "createdAt" bigint NOT NULL)`,
      `CREATE UNIQUE INDEX "UQ_project_name_key" ON "project" ("nameKey")`,
      `CREATE TABLE "ticket" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "title" varchar(200) NOT NULL,
        "description" text NOT NULL,
        "status" smallint NOT NULL CHECK ("status" BETWEEN 0 AND 4),
        "priority" smallint NOT NULL CHECK ("priority" BETWEEN 0 AND 3),
        "category" varchar(12) NOT NULL CHECK ("category" IN ('BUG', 'IMPROVEMENT', 'QUESTION', 'OTHER')),
        "projectId" integer NOT NULL REFERENCES "project" ("id") ON DELETE RESTRICT,
        "authorId" integer NOT NULL REFERENCES "user" ("id") ON DELETE RESTRICT,
        "assigneeId" integer REFERENCES "user" ("id") ON DELETE RESTRICT,
        "createdAt" bigint NOT NULL,
        "updatedAt" bigint NOT NULL,
        "closedAt" bigint)`,
      `CREATE INDEX "IDX_ticket_author_created" ON "ticket" ("authorId", "createdAt")`,
      `CREATE INDEX "IDX_ticket_project_status" ON "ticket" ("projectId", "status")`,
      `CREATE INDEX "IDX_ticket_assignee_status" ON "ticket" ("assigneeId", "status")`,
      `CREATE INDEX "IDX_ticket_status_priority" ON "ticket" ("status", "priority", "id")`,
      `CREATE INDEX "IDX_ticket_created" ON "ticket" ("createdAt")`,
      `CREATE INDEX "IDX_ticket_updated" ON "ticket" ("updatedAt")`,
      `CREATE TABLE "job" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "ticketId" integer NOT NULL REFERENCES "ticket" ("id") ON DELETE RESTRICT,
        "authorId" integer NOT NULL REFERENCES "user" ("id") ON DELETE RESTRICT,
        "createdAt" bigint NOT NULL,
        "comment" text,
        "internal" boolean NOT NULL DEFAULT (0),
        "status" smallint NOT NULL CHECK ("status" BETWEEN 0 AND 4),
        "changes" text NOT NULL)`,
      `CREATE INDEX "IDX_job_ticket" ON "job" ("ticketId", "id")`,
      `CREATE INDEX "IDX_job_author" ON "job" ("authorId")`,
      `CREATE TABLE "revoked_token" ("jti" varchar(64) PRIMARY KEY NOT NULL, "expiresAt" bigint NOT NULL)`,
      `CREATE INDEX "IDX_revoked_token_expires" ON "revoked_token" ("expiresAt")`,
      `CREATE TABLE "login_failure" (
        "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
        "userId" integer NOT NULL REFERENCES "user" ("id") ON DELETE CASCADE,
        "at" bigint NOT NULL)`,
      `CREATE INDEX "IDX_login_failure_user_at" ON "login_failure" ("userId", "at")`,
      // Full-text index of tickets, rowid = ticket id. Internal notes have their own column so that a
      // USER's search can leave them out.
      `CREATE VIRTUAL TABLE "ticket_search" USING fts5(
        title, description, comments, internal_comments,
        tokenize = 'unicode61 remove_diacritics 2')`,
    ];
    for (const statement of statements) await queryRunner.query(statement);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of [
      'ticket_search',
      'login_failure',
      'revoked_token',
      'job',
      'ticket',
      'project',
      'user',
    ]) {
      await queryRunner.query(`DROP TABLE "${table}"`);
    }
  }
}
