import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Database, openDatabase } from '../../src/database/data-source';
import { rawQuery } from '../../src/database/sql';
import { onPostgres, testDatabaseFor } from '../support/postgres-project';

/**
 * Attacks on group commit (SQLite: transactions waiting together share one COMMIT). Slow pieces of work
 * (an import of thousands of tickets) must not pile up in one group: a transaction already done would
 * wait for every one of them before its answer, and the group's WAL would hold all of their writes.
 * On PostgreSQL each transaction commits alone, and the same holds.
 */

let dataDir: string;
let database: Database;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-group-attack-'));
  database = await openDatabase({ dataDir, databaseUrl: (await testDatabaseFor(dataDir)).databaseUrl });
});
afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('a transaction done before two slow ones is answered before the second starts', async () => {
  const events: string[] = [];
  const insert = (jti: string) =>
    database.transaction(async (manager) => {
      events.push(`${jti} started`);
      if (jti.startsWith('slow')) await pause(150);
      await rawQuery(manager, `INSERT INTO "revoked_token" ("jti", "expiresAt") VALUES (?, 0)`, [jti]);
      events.push(`${jti} done`);
    });
  await Promise.all([
    insert('quick').then(() => events.push('quick acknowledged')),
    insert('slow-1'),
    insert('slow-2'),
  ]);
  const at = (event: string) => events.indexOf(event);
  expect(at('quick acknowledged')).toBeGreaterThan(at('quick done'));
  if (onPostgres) {
    // Each transaction on its own connection, all three at once: the answer waits for neither slow one.
    expect(at('quick acknowledged')).toBeLessThan(Math.min(at('slow-1 done'), at('slow-2 done')));
  } else {
    // Transactions take turns and share a COMMIT: the group closes before the second slow one starts.
    expect(at('quick acknowledged')).toBeLessThan(at('slow-2 started'));
  }
  const rows = await rawQuery<{ jti: string }[]>(
    database.manager,
    `SELECT "jti" FROM "revoked_token" ORDER BY "jti"`,
  );
  expect(rows.map((row) => row.jti)).toEqual(['quick', 'slow-1', 'slow-2']);
});
