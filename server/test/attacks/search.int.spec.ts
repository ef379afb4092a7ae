import { TestApi, type TestUser, errorCodes } from '../support/test-server';

/**
 * Attacks on search (issue 11's rework): on PostgreSQL a staff count is sent as one message with its
 * values written into the SQL text, so every value that can reach it is tried here, on both databases:
 * quotes, backslashes, dollar signs, negative timestamps, every filter at once, and cursors of another
 * order or tampered with. Each held when tried; kept so that none of them opens.
 */

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let user: TestUser;
let projectId: string;
let otherProjectId: string;

const PAGE = `query ($filter: TicketFilter, $orderBy: TicketOrder, $after: String, $first: Int) {
  tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount nodes { id } pageInfo { hasNextPage endCursor }
  }
}`;
interface Page {
  tickets: {
    totalCount: number;
    nodes: { id: string }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

/** Texts that would break an SQL literal written by hand, or a positional parameter written into text. */
const HOSTILE = [
  `it's O'Reilly's`,
  `back\\slash \\' \\\\ end`,
  `dollar $1 $2 $$ $tag$ $10`,
  `E'\\x27' U&'\\0027'`,
  `'); DROP TABLE "ticket"; --`,
  `"quoted" /* comment */ -- dash`,
];

const ids = (page: Page) => page.tickets.nodes.map((node) => node.id);

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  user = await api.register('user');
  projectId = await api.createProject(admin);
  otherProjectId = await api.createProject(admin);
}, 30_000);
afterAll(() => api.stop());

describe('hostile text in tickets and in searches', () => {
  const created: string[] = [];

  beforeAll(async () => {
    for (const [index, text] of HOSTILE.entries()) {
      created.push(
        await api.createTicket(user, index % 2 === 0 ? projectId : otherProjectId, {
          title: `Zebrafish ${text}`,
          description: `Quagga report ${index}: ${text}`,
          category: index % 2 === 0 ? 'BUG' : 'QUESTION',
        }),
      );
    }
  }, 30_000);

  test('each hostile search is answered, by staff and by the USER, without an error', async () => {
    for (const who of [admin, agent, user]) {
      for (const search of HOSTILE) {
        for (const orderBy of [undefined, { field: 'CREATED_AT', direction: 'DESC' }]) {
          const answer = await api.gql<Page>(PAGE, { filter: { search }, orderBy }, { token: who.token });
          expect({ search, errors: answer.errors }).toEqual({ search, errors: undefined });
        }
      }
    }
  });

  test('the words of hostile texts are found, counted alike in every order and with every filter', async () => {
    const schema = await api.gql(`{ __typename }`);
    expect(schema.errors).toBeUndefined();
    for (const who of [admin, user]) {
      const all = await api.ok<Page>(PAGE, { filter: { search: 'zebrafish quagga' }, first: 50 }, who.token);
      expect([...ids(all)].sort()).toEqual([...created].sort());
      expect(all.tickets.totalCount).toBe(HOSTILE.length);
      // Staff counts go through the PostgreSQL message with inlined values: filters of every type.
      const filter = {
        search: 'zebrafish',
        projectId,
        authorId: user.id,
        status: ['OPEN', 'IN_PROGRESS'],
        open: true,
        priority: ['NORMAL', 'LOW'],
        category: ['BUG'],
        unassigned: true,
        // Before 1970: a negative timestamp, written as `-…` next to an operator.
        createdAfter: '1969-07-20T20:17:40.000Z',
        createdBefore: '2999-01-01T00:00:00.000Z',
      };
      const narrowed = await api.ok<Page>(PAGE, { filter, first: 50 }, who.token);
      const expected = created.filter((_, index) => index % 2 === 0);
      expect([...ids(narrowed)].sort()).toEqual([...expected].sort());
      expect(narrowed.tickets.totalCount).toBe(expected.length);
      const ordered = await api.ok<Page>(
        PAGE,
        { filter, orderBy: { field: 'PRIORITY', direction: 'DESC' }, first: 50 },
        who.token,
      );
      expect(ordered.tickets.totalCount).toBe(expected.length);
    }
    // The table the injection attempt names is still there.
    expect((await api.ok<Page>(PAGE, { first: 1 }, admin.token)).tickets.totalCount).toBeGreaterThan(0);
  });

  test("a hostile text's quote or dollar sign finds by the words around it, nothing more", async () => {
    for (const search of [`O'Reilly`, `reilly's`, `$1 quagga`, `\\' zebrafish`]) {
      const page = await api.ok<Page>(PAGE, { filter: { search }, first: 50 }, admin.token);
      expect({ search, found: page.tickets.totalCount > 0 }).toEqual({ search, found: true });
      expect(page.tickets.totalCount).toBe(page.tickets.nodes.length);
    }
  });
});

describe('cursors', () => {
  beforeAll(async () => {
    for (let index = 0; index < 4; index += 1) {
      await api.createTicket(admin, projectId, { title: `Narwhal ${index}`, description: 'Narwhal tusk.' });
    }
  }, 30_000);

  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  test('a cursor of one order is refused by another, with BAD_USER_INPUT, never a 500', async () => {
    const relevance = await api.ok<Page>(PAGE, { filter: { search: 'narwhal' }, first: 1 }, admin.token);
    const keyset = await api.ok<Page>(
      PAGE,
      { filter: { search: 'narwhal' }, first: 1, orderBy: { field: 'ID', direction: 'ASC' } },
      admin.token,
    );
    const plain = await api.ok<Page>(PAGE, { first: 1 }, admin.token);
    const attempts: { filter: Record<string, unknown>; orderBy?: Record<string, string>; after: string }[] = [
      // Relevance cursor with an explicit order; keyset cursors with a search in relevance order.
      {
        filter: { search: 'narwhal' },
        orderBy: { field: 'CREATED_AT', direction: 'DESC' },
        after: relevance.tickets.pageInfo.endCursor!,
      },
      { filter: { search: 'narwhal' }, after: keyset.tickets.pageInfo.endCursor! },
      { filter: { search: 'narwhal' }, after: plain.tickets.pageInfo.endCursor! },
      { filter: {}, after: relevance.tickets.pageInfo.endCursor! },
    ];
    for (const attempt of attempts) {
      const answer = await api.gql(PAGE, { ...attempt, first: 5 }, { token: admin.token });
      expect({ attempt, codes: errorCodes(answer) }).toEqual({ attempt, codes: ['BAD_USER_INPUT'] });
    }
  });

  test('tampered search cursors are refused: offsets and ids out of range, strings, SQL', async () => {
    const tampered = [
      { key: 'RELEVANCE', offset: -1 },
      { key: 'RELEVANCE', offset: 1.5 },
      { key: 'RELEVANCE', offset: '0; DROP TABLE "ticket"' },
      { key: 'RELEVANCE', offset: 2 ** 53 },
      { key: 'SEARCH_NEWEST', value: null, id: -1 },
      { key: 'SEARCH_NEWEST', value: null, id: '1 OR 1=1' },
      { key: 'SEARCH_NEWEST', value: null, id: 2 ** 63 },
      { key: 'SEARCH_NEWEST', value: 'x', id: 1 },
    ];
    for (const value of tampered) {
      for (const orderBy of [undefined, { field: 'CREATED_AT', direction: 'DESC' }]) {
        const answer = await api.gql(
          PAGE,
          { filter: { search: 'narwhal' }, orderBy, after: cursor(value) },
          { token: admin.token },
        );
        expect({ value, codes: errorCodes(answer) }).toEqual({ value, codes: ['BAD_USER_INPUT'] });
      }
    }
  });

  test('a relevance cursor far past the end answers an empty page with the full count', async () => {
    const page = await api.ok<Page>(
      PAGE,
      { filter: { search: 'narwhal' }, after: cursor({ key: 'RELEVANCE', offset: Number.MAX_SAFE_INTEGER }) },
      admin.token,
    );
    expect(page.tickets).toEqual({
      totalCount: 4,
      nodes: [],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });
});
