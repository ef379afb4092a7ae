import type { QueryRunner } from 'typeorm';
import { ManualClock } from '../clock';
import { User } from '../users/user.entity';
import { SessionCache } from './session-cache';
import type { TokenClaims } from './token.service';

const start = Date.UTC(2026, 10, 27, 9, 0, 0);
const claims: TokenClaims = { sub: '7', jti: 'j', sv: 1, iid: 'i', exp: start / 1000 + 3600 } as TokenClaims;

function userNamed(username: string): User {
  return Object.assign(new User(), { id: 7, username, role: 'AGENT' });
}

function setUp(ttl = 2000) {
  const clock = new ManualClock(start);
  const cache = new SessionCache(clock, ttl);
  return { clock, cache };
}

const inTransaction = () => ({ isTransactionActive: true }) as QueryRunner;
const outside = () => ({ isTransactionActive: false }) as QueryRunner;

test('a session is believed for the TTL, never past its token, and handed out as a copy', () => {
  const { clock, cache } = setUp();
  cache.store('t', cache.current, userNamed('rita'), claims);
  const found = cache.find('t')!;
  expect(found.user.username).toBe('rita');
  found.user.username = 'changed by a request';
  expect(cache.find('t')!.user.username).toBe('rita');
  clock.advance(1999);
  expect(cache.find('t')).toBeDefined();
  clock.advance(1);
  expect(cache.find('t')).toBeUndefined();

  const shortLived = { ...claims, exp: (clock.now().getTime() + 500) / 1000 };
  cache.store('u', cache.current, userNamed('rita'), shortLived);
  clock.advance(500);
  expect(cache.find('u')).toBeUndefined();
});

test('nothing is kept with a TTL of 0', () => {
  const { cache } = setUp(0);
  cache.store('t', cache.current, userNamed('rita'), claims);
  expect(cache.find('t')).toBeUndefined();
});

test.each([
  'UPDATE "user" SET "role" = ? WHERE "id" = ?',
  'update "user" set "sessionVersion" = "sessionVersion" + 1',
  'INSERT INTO "revoked_token"("jti", "expiresAt") VALUES (?, ?)',
  'INSERT OR IGNORE INTO "revoked_token" ("jti") VALUES (?)',
  'DELETE FROM "user" WHERE "id" = ?',
  'DELETE FROM "revoked_token" WHERE "expiresAt" < ?',
  ' UPDATE user SET role = 1',
  '/* revoke */ INSERT INTO "revoked_token" ("jti") VALUES (?)',
  'UPDATE OR REPLACE "user" SET "role" = 1',
  'UPDATE ONLY "user" SET "role" = 1',
  'UPDATE "public"."user" SET "role" = 1',
  'DELETE FROM ONLY "revoked_token"',
  'TRUNCATE "revoked_token"',
  'TRUNCATE TABLE "user"',
  'WITH gone AS (SELECT id FROM "user" WHERE id = 1) UPDATE "user" SET "sessionVersion" = 2',
  'WITH moved AS (UPDATE "user" SET "role" = 1 RETURNING id) SELECT * FROM moved',
])('%s forgets every session', (sql) => {
  const { cache } = setUp();
  cache.store('t', cache.current, userNamed('rita'), claims);
  cache.noteStatement(sql, outside(), false);
  expect(cache.find('t')).toBeUndefined();
});

test.each([
  'SELECT "id" FROM "user" WHERE "id" = ?',
  'UPDATE "ticket" SET "status" = ?',
  'INSERT INTO "user_token" ("userId") VALUES (?)',
  'UPDATE "users_archive" SET x = 1',
  'INSERT INTO "job" ("comment") VALUES (\'UPDATE "user" SET role\')',
  'WITH recent AS (SELECT id FROM "ticket") SELECT * FROM "user" JOIN recent ON true',
  'ROLLBACK TO SAVEPOINT typeorm_1',
])('%s leaves sessions as they are', (sql) => {
  const { cache } = setUp();
  cache.store('t', cache.current, userNamed('rita'), claims);
  cache.noteStatement(sql, outside(), false);
  cache.noteStatement(sql, outside(), true);
  expect(cache.find('t')).toBeDefined();
});

test('a reading that began before a write is not kept', () => {
  const { cache } = setUp();
  const began = cache.current;
  cache.noteStatement('UPDATE "user" SET "role" = ?', outside(), false);
  cache.store('t', began, userNamed('old role'), claims);
  expect(cache.find('t')).toBeUndefined();
});

test("a transaction's write forgets again when it ends", () => {
  const { cache } = setUp();
  const runner = inTransaction();
  cache.noteStatement('UPDATE "user" SET "role" = ?', runner, false);
  cache.noteStatement('UPDATE "user" SET "role" = ?', runner, true);
  // Read while the write is not committed (another connection still sees the old row): kept for now…
  cache.store('t', cache.current, userNamed('old role'), claims);
  expect(cache.find('t')).toBeDefined();
  // …not forgotten by a savepoint's rollback inside the transaction…
  cache.noteStatement('ROLLBACK TO SAVEPOINT typeorm_1', runner, true);
  expect(cache.find('t')).toBeDefined();
  cache.noteStatement('COMMIT', runner, false);
  // …and forgotten with the COMMIT, before it is sent and once it is done.
  expect(cache.find('t')).toBeUndefined();
  cache.store('t', cache.current, userNamed('old role'), claims);
  cache.noteStatement('COMMIT', runner, true);
  expect(cache.find('t')).toBeUndefined();
  // The transaction is over: another runner's COMMIT, or this one's next, changes nothing.
  cache.store('t', cache.current, userNamed('new role'), claims);
  cache.noteStatement('COMMIT', runner, true);
  cache.noteStatement('COMMIT', inTransaction(), true);
  expect(cache.find('t')).toBeDefined();
});

test('a rolled back transaction forgets as well', () => {
  const { cache } = setUp();
  const runner = inTransaction();
  cache.noteStatement('INSERT INTO "revoked_token" ("jti") VALUES (?)', runner, true);
  cache.store('t', cache.current, userNamed('rita'), claims);
  cache.noteStatement('ROLLBACK', runner, true);
  expect(cache.find('t')).toBeUndefined();
});

test('nothing is believed while other instances cannot be heard', () => {
  const { cache } = setUp();
  cache.store('t', cache.current, userNamed('rita'), claims);
  cache.hearingOthers(false);
  expect(cache.find('t')).toBeUndefined();
  cache.store('t', cache.current, userNamed('rita'), claims);
  expect(cache.find('t')).toBeUndefined();
  cache.hearingOthers(true);
  cache.store('t', cache.current, userNamed('rita'), claims);
  expect(cache.find('t')).toBeDefined();
});

test('the oldest session is forgotten beyond the capacity', () => {
  const cache = new SessionCache(new ManualClock(start), 2000, 2);
  for (const token of ['a', 'b', 'c']) cache.store(token, cache.current, userNamed(token), claims);
  expect(cache.size).toBe(2);
  expect(cache.find('a')).toBeUndefined();
  expect(cache.find('c')).toBeDefined();
});
