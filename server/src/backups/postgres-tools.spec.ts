import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BackupCommandError } from './database-file';
import { findTool, postgresDatabase } from './postgres-tools';

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-pg-tools-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A folder holding a stand-in program that answers --version as PostgreSQL's do (or not). */
function folderWith(name: string, tool: string, versionLine: string): string {
  const folder = path.join(root, name);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, tool), `#!/bin/sh\necho '${versionLine}'\n`, { mode: 0o755 });
  return folder;
}

function refusal(run: () => unknown): BackupCommandError {
  try {
    run();
  } catch (error) {
    if (error instanceof BackupCommandError) return error;
    throw error;
  }
  throw new Error('not refused');
}

test('the newest copy is taken, the first one found on a tie; what is not PostgreSQL is passed over', () => {
  const old = folderWith('old', 'pg_dump', 'pg_dump (PostgreSQL) 14.9');
  const fake = folderWith('fake', 'pg_dump', 'pg_dump, a tool of another kind 99.1');
  const newer = folderWith('newer', 'pg_dump', 'pg_dump (PostgreSQL) 16.4 (Debian 16.4-1)');
  const sameAgain = folderWith('same-again', 'pg_dump', 'pg_dump (PostgreSQL) 16.2');
  expect(findTool('pg_dump', {}, 15, [old, fake, newer, sameAgain])).toEqual({
    file: path.join(newer, 'pg_dump'),
    major: 16,
    version: '16.4',
  });
  expect(findTool('pg_dump', {}, undefined, [old, path.join(root, 'nowhere')]).major).toBe(14);
});

test('a server newer than every pg_dump is refused with the version to install', () => {
  const older = folderWith('older', 'pg_dump', 'pg_dump (PostgreSQL) 15.18');
  const error = refusal(() => findTool('pg_dump', {}, 17, [older]));
  expect(error.exitCode).toBe(1);
  expect(error.message).toBe(
    `The PostgreSQL server is version 17, newer than pg_dump 15.18 (${path.join(older, 'pg_dump')}), which cannot read it: install the PostgreSQL 17 client programs (Debian, Ubuntu: apt-get install postgresql-client-17).`,
  );
});

test('a missing program says where it was looked for and what to install', () => {
  const empty = path.join(root, 'empty');
  fs.mkdirSync(empty, { recursive: true });
  const error = refusal(() => findTool('pg_restore', {}, 16, [empty]));
  expect(error.exitCode).toBe(1);
  expect(error.message).toMatch(
    /^pg_restore is not installed \(looked in the PATH and in \/usr\/lib\/postgresql\/\*\/bin\): .*postgresql-client-16\)\.$/,
  );
});

test('the password leaves the URL for PGPASSWORD, decoded; the rest of the URL is kept', () => {
  const database = postgresDatabase(
    'postgres://app:p%40ss%3Aw%2Frd@db.internal:6432/tickets?sslmode=require',
    {
      PATH: '/usr/bin',
    },
  );
  expect(database.shown).toBe('postgres://app@db.internal:6432/tickets?sslmode=require');
  expect(database.env).toMatchObject({ PATH: '/usr/bin', PGPASSWORD: 'p@ss:w/rd' });
  const noPassword = postgresDatabase('postgres://app@db.internal/tickets', {});
  expect(noPassword.env.PGPASSWORD).toBeUndefined();
});
