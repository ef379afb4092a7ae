import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Database, openDatabase } from '../database/data-source';
import { rateLimitsOf } from './rate-limits-of';
import { SqliteRateLimitStore } from './sqlite-rate-limit-store';

let dataDir: string;
let database: Database;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rate-limits-of-'));
  database = await openDatabase({ databaseUrl: '', dataDir });
});

afterAll(async () => {
  await rateLimitsOf(database).close();
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('an SQLite database keeps its limits in a file beside it; one store per database', async () => {
  const store = rateLimitsOf(database);
  expect(store).toBeInstanceOf(SqliteRateLimitStore);
  expect((store as SqliteRateLimitStore).file).toBe(path.join(dataDir, 'ticketing.limits.sqlite'));
  expect(rateLimitsOf(database)).toBe(store);
  expect(await store.prepare()).toBe(true);
  expect(fs.existsSync(path.join(dataDir, 'ticketing.limits.sqlite'))).toBe(true);
});

test("a count made inside the service's transaction stays when that transaction rolls back", async () => {
  const limit = rateLimitsOf(database).limit({
    name: 'inside-a-transaction',
    points: 2,
    durationSeconds: 60,
    message: 'Slow down.',
  });
  await expect(
    database.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO "project" ("name", "nameKey", "description", "createdAt") VALUES ('P', 'p', '', 0)`,
      );
      await limit.consume('key');
      throw new Error('the request failed after counting');
    }),
  ).rejects.toThrow('the request failed after counting');
  expect(await database.manager.query(`SELECT COUNT(*) AS n FROM "project"`)).toEqual([{ n: 0 }]);
  expect((await limit.state('key')).consumed).toBe(1);
});
