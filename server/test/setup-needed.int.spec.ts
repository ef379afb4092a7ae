import { TestApi } from './support/test-server';

/** Query.setupNeeded (issue 12): what a first visitor asks before any account exists, without a session. */

let api: TestApi;

beforeAll(async () => {
  api = await TestApi.start();
});

afterAll(async () => {
  await api?.stop();
});

const ask = () => api.gql<{ setupNeeded: boolean }>('{ setupNeeded }');

test('true on an empty database, with one statement and no session', async () => {
  const statements = await api.sqlDuring(async () => {
    const answer = await ask();
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ setupNeeded: true });
  });
  expect(statements).toBe(1);
  // Asked again: still true, nothing remembered while it is.
  expect((await ask()).data).toEqual({ setupNeeded: true });
});

test('false once the first account (an ADMIN) is registered, and remembered: no statement after', async () => {
  const first = await api.register('first');
  const [row] = await api.sql<{ role: string }[]>(`SELECT "role" FROM "user" WHERE "id" = ?`, [
    Number(first.id),
  ]);
  expect(row.role).toBe('ADMIN');
  expect((await ask()).data).toEqual({ setupNeeded: false });
  expect(await api.sqlDuring(async () => expect((await ask()).data).toEqual({ setupNeeded: false }))).toBe(0);
  // The same with a session.
  expect(await api.ok('{ setupNeeded }', {}, first.token)).toEqual({ setupNeeded: false });
});
