import { TICKETS, type TicketsView } from './support/operations';
import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let website: string;
let mobile: string;

interface Row {
  id: string;
  key: string;
  status: string;
  priority: string;
  createdAt: string;
  updatedAt: string;
  author: { id: string };
  assignee: { id: string } | null;
}
/** Tickets by their key in the fixture below, as the server reports them after setup. */
const t: Record<string, Row> = {};

const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.ok(
    'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
    { id, input },
    who.token,
  );

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  website = await api.createProject(admin, 'Website');
  mobile = await api.createProject(admin, 'Mobile');

  const fixture: [string, TestUser, string, Record<string, unknown>, Record<string, unknown> | null][] = [
    [
      'login',
      alice,
      website,
      { title: 'Login button does nothing', category: 'BUG' },
      { priority: 'HIGH', assigneeId: 'agent', status: 'IN_PROGRESS' },
    ],
    [
      'export',
      bob,
      website,
      { title: 'Export to CSV', category: 'IMPROVEMENT' },
      { priority: 'URGENT', comment: 'A spreadsheet export would help accounting.' },
    ],
    ['crash', alice, mobile, { title: 'Crash on startup', category: 'BUG' }, { priority: 'URGENT' }],
    [
      'reset',
      bob,
      mobile,
      { title: 'How do I reset my password', category: 'QUESTION' },
      { priority: 'LOW', status: 'RESOLVED' },
    ],
    [
      'elan',
      alice,
      website,
      { title: 'Missing word', description: 'Le mot élan manque dans la page.' },
      { status: 'WAITING' },
    ],
    ['dark', bob, website, { title: 'Dark mode', category: 'IMPROVEMENT' }, { priority: 'HIGH' }],
    ['typo', alice, mobile, { title: 'Typo in footer' }, null],
    [
      'cert',
      admin,
      website,
      { title: 'Server certificate expiring' },
      { priority: 'URGENT', assigneeId: 'admin' },
    ],
  ];
  for (const [key, author, projectId, input, staffEdit] of fixture) {
    const id = await api.createTicket(author, projectId, input);
    t[key] = { id, key } as Row;
    if (staffEdit) {
      const assigneeId =
        staffEdit.assigneeId === 'agent' ? agent.id : staffEdit.assigneeId === 'admin' ? admin.id : undefined;
      await update(agent, id, { ...staffEdit, ...(assigneeId ? { assigneeId } : {}) });
    }
  }
  await update(alice, t.typo.id, { status: 'CLOSED' });
  const all = await api.ok<{ tickets: { nodes: Row[] } }>(
    '{ tickets(first: 100) { nodes { id status priority createdAt updatedAt author { id } assignee { id } } } }',
    {},
    admin.token,
  );
  for (const row of all.tickets.nodes) {
    const key = Object.keys(t).find((k) => t[k].id === row.id)!;
    t[key] = { ...row, key };
  }
});
afterAll(() => api.stop());

async function list(who: TestUser, variables: Record<string, unknown> = {}): Promise<TicketsView['tickets']> {
  return (await api.ok<TicketsView>(TICKETS, { first: 100, ...variables }, who.token)).tickets;
}
const keysOf = (page: TicketsView['tickets']) =>
  page.nodes.map((node) => Object.keys(t).find((k) => t[k].id === node.id) ?? `new:${node.id}`);
const sortedKeys = (keys: string[]) => [...keys].sort();
const invalidField = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.invalidFields?.[0];

describe('filters', () => {
  const cases: [string, () => Record<string, unknown>, string[]][] = [
    ['projectId', () => ({ projectId: website }), ['cert', 'dark', 'elan', 'export', 'login']],
    ['status', () => ({ status: ['OPEN'] }), ['cert', 'crash', 'dark', 'export']],
    ['several statuses', () => ({ status: ['RESOLVED', 'CLOSED'] }), ['reset', 'typo']],
    ['open: true', () => ({ open: true }), ['cert', 'crash', 'dark', 'elan', 'export', 'login']],
    ['open: false', () => ({ open: false }), ['reset', 'typo']],
    ['priority', () => ({ priority: ['URGENT'] }), ['cert', 'crash', 'export']],
    ['category', () => ({ category: ['QUESTION'] }), ['reset']],
    ['authorId', () => ({ authorId: alice.id }), ['crash', 'elan', 'login', 'typo']],
    ['assigneeId', () => ({ assigneeId: agent.id }), ['login']],
    ['unassigned: true', () => ({ unassigned: true }), ['crash', 'dark', 'elan', 'export', 'reset', 'typo']],
    ['unassigned: false', () => ({ unassigned: false }), ['cert', 'login']],
    ['an empty status list', () => ({ status: [] }), []],
    [
      'values repeated in a list (each counts once)',
      () => ({
        status: Array(2000).fill('OPEN'),
        priority: [...Array(500).fill('URGENT'), 'URGENT'],
        category: Array(300).fill('BUG'),
      }),
      ['crash'],
    ],
    [
      'several at once',
      () => ({
        projectId: website,
        open: true,
        priority: ['HIGH', 'URGENT'],
        category: ['BUG', 'OTHER', 'IMPROVEMENT'],
      }),
      ['cert', 'dark', 'export', 'login'],
    ],
  ];

  test.each(cases)('%s narrows the list, and totalCount follows', async (_name, filter, expected) => {
    const page = await list(agent, { filter: filter() });
    expect(sortedKeys(keysOf(page))).toEqual(expected);
    expect(page.totalCount).toBe(expected.length);
  });

  test('createdAfter (inclusive) and createdBefore (exclusive)', async () => {
    const pivot = t.reset.createdAt;
    const keys = Object.values(t);
    const after = await list(agent, { filter: { createdAfter: pivot } });
    expect(sortedKeys(keysOf(after))).toEqual(
      sortedKeys(keys.filter((r) => Date.parse(r.createdAt) >= Date.parse(pivot)).map((r) => r.key)),
    );
    const before = await list(agent, { filter: { createdBefore: pivot } });
    expect(sortedKeys(keysOf(before))).toEqual(
      sortedKeys(keys.filter((r) => Date.parse(r.createdAt) < Date.parse(pivot)).map((r) => r.key)),
    );
    expect(after.totalCount + before.totalCount).toBe(keys.length);
  });

  test('a USER lists only their own tickets, filters included, and totalCount counts only those', async () => {
    const own = await list(alice);
    expect(sortedKeys(keysOf(own))).toEqual(['crash', 'elan', 'login', 'typo']);
    expect(own.totalCount).toBe(4);
    const filtered = await list(alice, { filter: { projectId: website, open: true } });
    expect(sortedKeys(keysOf(filtered))).toEqual(['elan', 'login']);
    const urgent = await list(bob, { filter: { priority: ['URGENT'] } });
    expect(keysOf(urgent)).toEqual(['export']);
    expect(urgent.totalCount).toBe(1);
  });
});

describe('sort', () => {
  const rank = {
    priority: ['LOW', 'NORMAL', 'HIGH', 'URGENT'],
    status: ['OPEN', 'IN_PROGRESS', 'WAITING', 'RESOLVED', 'CLOSED'],
  };
  const value: Record<string, (row: Row) => number> = {
    ID: (row) => Number(row.id),
    CREATED_AT: (row) => Date.parse(row.createdAt),
    UPDATED_AT: (row) => Date.parse(row.updatedAt),
    PRIORITY: (row) => rank.priority.indexOf(row.priority),
    STATUS: (row) => rank.status.indexOf(row.status),
  };

  test.each(
    ['ID', 'CREATED_AT', 'UPDATED_AT', 'PRIORITY', 'STATUS'].flatMap((field) => [
      [field, 'ASC'],
      [field, 'DESC'],
    ]),
  )('orderBy %s %s', async (field, direction) => {
    const page = await list(agent, { orderBy: { field, direction } });
    const sign = direction === 'ASC' ? 1 : -1;
    // Ties: by id, oldest first for priority and status, in the main direction for dates and ids.
    const tieSign = field === 'PRIORITY' || field === 'STATUS' ? 1 : sign;
    const expected = Object.values(t)
      .sort((a, b) => sign * (value[field](a) - value[field](b)) || tieSign * (Number(a.id) - Number(b.id)))
      .map((row) => row.key);
    expect(keysOf(page)).toEqual(expected);
  });

  test('without orderBy (and without search) the newest come first', async () => {
    const page = await list(agent);
    expect(keysOf(page)).toEqual(
      Object.values(t)
        .sort((a, b) => Number(b.id) - Number(a.id))
        .map((row) => row.key),
    );
  });

  test('the waiting list: open and unassigned, most urgent first, ties oldest first', async () => {
    const page = await list(agent, {
      filter: { open: true, unassigned: true },
      orderBy: { field: 'PRIORITY', direction: 'DESC' },
    });
    expect(keysOf(page)).toEqual(['export', 'crash', 'dark', 'elan']);
    expect(page.totalCount).toBe(4);
  });
});

describe('pagination', () => {
  async function walk(who: TestUser, variables: Record<string, unknown>, between: () => Promise<unknown>) {
    const seen: string[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 20; pages += 1) {
      const page: TicketsView['tickets'] = await list(who, { ...variables, first: 3, after });
      expect(page.nodes.length).toBeLessThanOrEqual(3);
      expect(page.edges.map((edge) => edge.node.id)).toEqual(page.nodes.map((node) => node.id));
      seen.push(...keysOf(page));
      if (!page.pageInfo.hasNextPage) return seen;
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)!.cursor);
      after = page.pageInfo.endCursor;
      await between();
    }
    throw new Error('pagination did not end');
  }

  test('pages of 3, newest first, while tickets are being added: no duplicates, no gaps', async () => {
    const start = await list(agent);
    let added = 0;
    const seen = await walk(agent, {}, async () => {
      added += 1;
      await api.createTicket(bob, website, { title: `Added while paging ${added}` });
    });
    expect(added).toBeGreaterThanOrEqual(2);
    const existing = seen.filter((key) => !key.startsWith('new:'));
    expect(existing).toEqual(keysOf(start));
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('pages of 3 on the waiting list while urgent tickets arrive: every ticket there at the start is served once', async () => {
    const variables = {
      filter: { open: true, unassigned: true },
      orderBy: { field: 'PRIORITY', direction: 'DESC' },
    };
    const start = keysOf(await list(agent, variables));
    let added = 0;
    const seen = await walk(agent, variables, async () => {
      added += 1;
      await api.createTicket(agent, mobile, { title: `Urgent while paging ${added}`, priority: 'URGENT' });
      await api.createTicket(agent, mobile, { title: `Low while paging ${added}`, priority: 'LOW' });
    });
    expect(seen.filter((key) => start.includes(key))).toEqual(start);
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('pages of 3 by id ascending: every ticket once, in order, new ones at the end', async () => {
    const variables = { orderBy: { field: 'ID', direction: 'ASC' } };
    const start = keysOf(await list(agent, variables));
    const seen = await walk(agent, variables, () =>
      api.createTicket(alice, website, { title: 'Another one' }),
    );
    expect(seen.slice(0, start.length)).toEqual(start);
    expect(new Set(seen).size).toBe(seen.length);
  });

  test('totalCount counts every match, not the page; hasNextPage is false on the last page', async () => {
    const first = await list(alice, { first: 2 });
    const all = await list(alice);
    expect(first.nodes).toHaveLength(2);
    expect(first.totalCount).toBe(all.totalCount);
    expect(first.pageInfo.hasNextPage).toBe(true);
    expect(all.pageInfo.hasNextPage).toBe(false);
  });

  test.each([
    ['garbage', () => 'not-a-cursor!'],
    ['base64 of something else', () => Buffer.from('hello').toString('base64url')],
    [
      'a JSON cursor with a string id',
      () =>
        Buffer.from(JSON.stringify({ key: 'CREATED_AT:DESC', value: 1, id: '1 OR 1=1' })).toString(
          'base64url',
        ),
    ],
    [
      'a JSON cursor with a string value',
      () =>
        Buffer.from(
          JSON.stringify({ key: 'CREATED_AT:DESC', value: "1'; DROP TABLE ticket; --", id: 1 }),
        ).toString('base64url'),
    ],
    [
      'a JSON cursor with a fractional id',
      () => Buffer.from(JSON.stringify({ key: 'CREATED_AT:DESC', value: 1, id: 1.5 })).toString('base64url'),
    ],
    [
      'a cursor from another order',
      () => Buffer.from(JSON.stringify({ key: 'ID:ASC', value: 1, id: 1 })).toString('base64url'),
    ],
    [
      'a relevance cursor',
      () => Buffer.from(JSON.stringify({ key: 'RELEVANCE', offset: 3 })).toString('base64url'),
    ],
    ['a truncated real cursor', () => 'TRUNCATE'],
    ['JSON null', () => Buffer.from('null').toString('base64url')],
  ])('a tampered cursor (%s) is BAD_USER_INPUT on after', async (_name, cursor) => {
    let after = cursor();
    if (after === 'TRUNCATE') after = (await list(agent, { first: 1 })).pageInfo.endCursor!.slice(0, -6);
    const result = await api.gql(TICKETS, { first: 3, after }, { token: agent.token });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field: 'after' });
  });

  test('a cursor from one order is refused with another', async () => {
    const byId = await list(agent, { first: 2, orderBy: { field: 'ID', direction: 'ASC' } });
    const result = await api.gql(
      TICKETS,
      { first: 2, after: byId.pageInfo.endCursor, orderBy: { field: 'PRIORITY', direction: 'DESC' } },
      { token: agent.token },
    );
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  });

  test.each([0, 101, -5])('first: %i is BAD_USER_INPUT on first', async (first) => {
    const result = await api.gql(TICKETS, { first }, { token: agent.token });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field: 'first', rule: 'range' });
  });

  test('first: 1 and first: 100 are accepted', async () => {
    expect((await list(agent, { first: 1 })).nodes).toHaveLength(1);
    expect((await list(agent, { first: 100 })).nodes.length).toBeGreaterThan(8);
  });
});

describe('search', () => {
  const search = (who: TestUser, words: string, extra: Record<string, unknown> = {}) =>
    list(who, { ...extra, filter: { search: words, ...((extra.filter as object) ?? {}) } });

  test.each([
    ['a word of the title', 'certificate', ['cert']],
    ['a word of the description', 'manque', ['elan']],
    ['a word of a job comment', 'spreadsheet', ['export']],
    ['a prefix', 'cert', ['cert']],
    ['a prefix of a comment word', 'spread', ['export']],
    ['any case', 'CRASH', ['crash']],
    ['accents ignored: "elan" finds "élan"', 'elan', ['elan']],
    ['accents ignored the other way: "éxport" finds "Export"', 'éxport', ['export']],
    ['all words must appear', 'crash startup', ['crash']],
    ['words from title and description together', 'missing élan', ['elan']],
    ['no ticket has both words', 'crash footer', []],
    ['a word nobody wrote', 'zeppelin', []],
  ])('finds %s', async (_name, words, expected) => {
    const page = await search(agent, words);
    expect(sortedKeys(keysOf(page))).toEqual(expected);
    expect(page.totalCount).toBe(expected.length);
  });

  // Punctuation is ignored and every remaining word must appear: those marked true still find "Crash on startup".
  test.each([
    ['"', false],
    ['"crash', true],
    ['crash"', true],
    ['*', false],
    ['crash*', true],
    ['NEAR(crash startup)', false],
    ['NEAR(', false],
    ['-crash', true],
    ['crash -startup', true],
    ['title:crash', false],
    [':', false],
    ['{title}: crash', false],
    ['crash AND startup OR NOT', false],
    ['^crash', true],
    ['(crash', true],
    ["crash'", true],
    ['\\', false],
    ['%_', false],
    // U+0000 is refused in every text input, this one too (attacks/postgres.int.spec.ts).
  ])('FTS syntax in the search (%j) never causes an error', async (words, findsCrash) => {
    const result = await api.gql(TICKETS, { first: 100, filter: { search: words } }, { token: agent.token });
    expect(result.errors).toBeUndefined();
    const ids = result.data!.tickets.nodes.map((n: { id: string }) => n.id);
    if (findsCrash) expect(ids).toEqual([t.crash.id]);
  });

  test('an edited title is found by its new words, no longer by its old ones', async () => {
    const id = await api.createTicket(alice, mobile, { title: 'Gizmo overheats' });
    await update(alice, id, { title: 'Widget overheats', description: 'Since the firmware update.' });
    expect((await search(agent, 'gizmo')).nodes).toEqual([]);
    expect((await search(agent, 'widget')).nodes).toEqual([{ id }]);
    expect((await search(alice, 'firmware')).nodes).toEqual([{ id }]);
  });

  test('search narrows with the other filters, and a USER only finds their own tickets', async () => {
    expect(keysOf(await search(agent, 'crash', { filter: { projectId: website } }))).toEqual([]);
    expect(keysOf(await search(alice, 'crash'))).toEqual(['crash']);
    const bobSearch = await search(bob, 'crash');
    expect(bobSearch.nodes).toEqual([]);
    expect(bobSearch.totalCount).toBe(0);
  });

  test('with another order, search, filters and visibility narrow the count alike', async () => {
    const byId = { orderBy: { field: 'ID', direction: 'ASC' } };
    const staff = await search(agent, 'crash', { ...byId, filter: { projectId: mobile } });
    expect({ keys: keysOf(staff), totalCount: staff.totalCount }).toEqual({ keys: ['crash'], totalCount: 1 });
    const none = await search(agent, 'crash', { ...byId, filter: { open: false } });
    expect({ keys: keysOf(none), totalCount: none.totalCount }).toEqual({ keys: [], totalCount: 0 });
    const own = await search(alice, 'crash', byId);
    expect({ keys: keysOf(own), totalCount: own.totalCount }).toEqual({ keys: ['crash'], totalCount: 1 });
    const other = await search(bob, 'crash', byId);
    expect({ keys: keysOf(other), totalCount: other.totalCount }).toEqual({ keys: [], totalCount: 0 });
  });

  describe('relevance', () => {
    let weak: string;
    let strong: string;
    let middle: string;

    beforeAll(async () => {
      weak = await api.createTicket(bob, mobile, {
        title: 'Office hardware',
        description: `The ${'lorem ipsum dolor sit amet '.repeat(30)} printer in room 4 is out of paper sometimes.`,
      });
      strong = await api.createTicket(bob, mobile, {
        title: 'Printer jammed',
        description: 'The printer jams; printer error 42.',
      });
      middle = await api.createTicket(bob, mobile, { title: 'Printer toner', description: 'Toner is low.' });
    });

    test('without orderBy, the best matches come first', async () => {
      const page = await search(agent, 'printer');
      expect(page.nodes.map((n) => n.id)).toEqual([strong, middle, weak]);
    });

    test('with orderBy, that order wins over relevance', async () => {
      const page = await search(agent, 'printer', { orderBy: { field: 'ID', direction: 'ASC' } });
      expect(page.nodes.map((n) => n.id)).toEqual([weak, strong, middle]);
    });

    test('relevance pages follow each other without duplicates or gaps', async () => {
      const ids: string[] = [];
      let after: string | null = null;
      do {
        const page: TicketsView['tickets'] = await list(agent, {
          filter: { search: 'printer' },
          first: 1,
          after,
        });
        expect(page.totalCount).toBe(3);
        ids.push(...page.nodes.map((n) => n.id));
        after = page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null;
      } while (after);
      expect(ids).toEqual([strong, middle, weak]);
    });
  });
});
