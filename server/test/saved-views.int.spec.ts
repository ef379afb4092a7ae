import { MAX_VIEWS_PER_USER } from '../src/saved-views/saved-view.service';
import { TestApi, errorCodes, type TestUser } from './support/test-server';

/** Saved views: one person's named filters of the ticket list (issue 13). */

jest.setTimeout(30_000);

const VIEWS = `{ savedViews { id name query position createdAt } }`;
const SAVE = `mutation ($input: SaveViewInput!) { saveView(input: $input) { id name query position } }`;
const DELETE = `mutation ($id: ID!) { deleteView(id: $id) }`;
const MOVE = `mutation ($id: ID!, $position: Int!) { moveView(id: $id, position: $position) { id name position } }`;
const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`;

interface View {
  id: string;
  name: string;
  query: string;
  position: number;
}

let api: TestApi;
let admin: TestUser;
let alice: TestUser;
let bob: TestUser;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
});
afterAll(() => api.stop());

const viewsOf = async (who: TestUser) =>
  (await api.ok<{ savedViews: View[] }>(VIEWS, {}, who.token)).savedViews;
const save = async (who: TestUser, input: Record<string, unknown>) =>
  (await api.ok<{ saveView: View }>(SAVE, { input }, who.token)).saveView;
const rowsOf = async (who: TestUser) =>
  Number(
    (
      await api.sql<{ n: number }[]>(`SELECT COUNT(*) AS n FROM "saved_view" WHERE "userId" = ?`, [
        Number(who.id),
      ])
    )[0].n,
  );

test('a user saves, lists, renames, moves and deletes their views, in their order', async () => {
  expect(await viewsOf(alice)).toEqual([]);
  const mine = await save(alice, { name: '  My open ', query: 'is:open assignee:me' });
  expect(mine).toMatchObject({ name: 'My open', query: 'is:open assignee:me', position: 0 });
  const waiting = await save(alice, { name: 'Waiting', query: 'status:waiting' });
  const urgent = await save(alice, { name: 'Urgent', query: 'priority:urgent' });
  expect((await viewsOf(alice)).map((view) => view.name)).toEqual(['My open', 'Waiting', 'Urgent']);

  // The same name in another case: that view gets the new filter, no second view.
  const replaced = await save(alice, { name: 'WAITING', query: 'status:waiting project:"Mobile app"' });
  expect(replaced.id).toBe(waiting.id);
  expect(replaced).toMatchObject({ name: 'WAITING', query: 'status:waiting project:"Mobile app"' });
  expect(await rowsOf(alice)).toBe(3);

  // With its id: renamed.
  const renamed = await save(alice, { id: urgent.id, name: 'On fire', query: 'priority:urgent is:open' });
  expect(renamed).toMatchObject({ id: urgent.id, name: 'On fire', query: 'priority:urgent is:open' });

  const moved = (await api.ok<{ moveView: View[] }>(MOVE, { id: renamed.id, position: 0 }, alice.token))
    .moveView;
  expect(moved.map((view) => [view.name, view.position])).toEqual([
    ['On fire', 0],
    ['My open', 1],
    ['WAITING', 2],
  ]);
  expect((await viewsOf(alice)).map((view) => view.name)).toEqual(['On fire', 'My open', 'WAITING']);

  expect(await api.ok(DELETE, { id: mine.id }, alice.token)).toEqual({ deleteView: true });
  expect((await viewsOf(alice)).map((view) => view.name)).toEqual(['On fire', 'WAITING']);
  // Bob has none of them.
  expect(await viewsOf(bob)).toEqual([]);
});

test('a rename onto another of one’s view names is refused: names are unique per person, whatever the case', async () => {
  const one = await save(bob, { name: 'Mine', query: 'assignee:me' });
  await save(bob, { name: 'Theirs', query: 'assignee:none' });
  const result = await api.gql(
    SAVE,
    { input: { id: one.id, name: 'THEIRS', query: 'x' } },
    { token: bob.token },
  );
  expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  expect(result.errors![0].extensions!.invalidFields).toEqual([
    { field: 'name', rule: 'unique', message: 'You already have a view named "Theirs".' },
  ]);
  // Another person may use the same name.
  await save(alice, { name: 'Mine', query: '' });
});

test('bad names and queries get BAD_USER_INPUT with the field, and nothing is written', async () => {
  const before = await rowsOf(alice);
  for (const [input, field] of [
    [{ name: '   ', query: 'is:open' }, 'name'],
    [{ name: 'x'.repeat(61), query: 'is:open' }, 'name'],
    [{ name: 'Long', query: 'a'.repeat(501) }, 'query'],
    [{ id: 'abc', name: 'Bad id', query: '' }, 'id'],
  ] as const) {
    const result = await api.gql(SAVE, { input }, { token: alice.token });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions!.invalidFields).toEqual([expect.objectContaining({ field })]);
  }
  expect(await rowsOf(alice)).toBe(before);
  // 60 characters and 500 are fine.
  await save(alice, { name: 'n'.repeat(60), query: 'q'.repeat(500) });
});

test('another person’s view is NOT_FOUND, exactly like one that does not exist, for an admin too', async () => {
  const [view] = await viewsOf(alice);
  const missing = 999_999;
  for (const who of [bob, admin]) {
    for (const [query, variables] of [
      [DELETE, { id: view.id }],
      [MOVE, { id: view.id, position: 0 }],
      [SAVE, { input: { id: view.id, name: 'Stolen', query: '' } }],
    ] as const) {
      const theirs = await api.gql(query, variables, { token: who.token });
      const none = await api.gql(
        query,
        JSON.parse(JSON.stringify(variables).replace(`"${view.id}"`, `"${missing}"`)),
        { token: who.token },
      );
      expect(errorCodes(theirs)).toEqual(['NOT_FOUND']);
      expect(theirs.errors![0].message).toBe(none.errors![0].message.replace(String(missing), view.id));
    }
  }
  expect((await viewsOf(alice)).find((v) => v.id === view.id)).toMatchObject({ name: view.name });
});

test(`at most ${MAX_VIEWS_PER_USER} views per person; replacing one at the limit still works`, async () => {
  const carol = await api.register('carol');
  for (let i = 0; i < MAX_VIEWS_PER_USER; i += 1) await save(carol, { name: `View ${i}`, query: `v${i}` });
  const refused = await api.gql(SAVE, { input: { name: 'One more', query: '' } }, { token: carol.token });
  expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
  expect(refused.errors![0].extensions!.invalidFields).toEqual([
    expect.objectContaining({ field: 'input', rule: 'limitReached' }),
  ]);
  expect(await rowsOf(carol)).toBe(MAX_VIEWS_PER_USER);
  expect((await save(carol, { name: 'view 3', query: 'changed' })).query).toBe('changed');
});

test('a READ token lists the views but cannot write them; signed out, nothing', async () => {
  const { createApiToken } = await api.ok<{ createApiToken: { secret: string } }>(
    CREATE_TOKEN,
    { input: { name: 'reader', scope: 'READ' } },
    alice.token,
  );
  const before = await rowsOf(alice);
  expect((await api.ok<{ savedViews: View[] }>(VIEWS, {}, createApiToken.secret)).savedViews.length).toBe(
    before,
  );
  const refused = await api.gql(
    SAVE,
    { input: { name: 'By token', query: '' } },
    { token: createApiToken.secret },
  );
  expect(errorCodes(refused)).toEqual(['FORBIDDEN']);
  expect(await rowsOf(alice)).toBe(before);
  expect(errorCodes(await api.gql(VIEWS))).toEqual(['UNAUTHENTICATED']);
});

test('listing views costs one statement beyond signing in', async () => {
  const signedIn = await api.sqlDuring(() => api.ok('{ me { id } }', {}, alice.token));
  expect(await api.sqlDuring(() => viewsOf(alice))).toBe(signedIn + 1);
});
