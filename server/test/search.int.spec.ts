import { TestApi, type TestUser } from './support/test-server';

/**
 * Full-text search finds the same tickets on both databases (FTS5 on SQLite, tsvector on PostgreSQL):
 * words as the unicode61 tokenizer cuts them, accents and case ignored, prefixes, and no limit a long
 * discussion can reach.
 */
let api: TestApi;
let admin: TestUser;
let projectId: string;

beforeAll(async () => {
  api = await TestApi.start();
  admin = await api.register('admin');
  projectId = await api.createProject(admin);
});
afterAll(() => api.stop());

const SEARCH = `query ($search: String!) { tickets(filter: { search: $search }, first: 50) { nodes { id } } }`;

async function found(search: string): Promise<string[]> {
  const data = await api.ok<{ tickets: { nodes: { id: string }[] } }>(SEARCH, { search }, admin.token);
  return data.tickets.nodes.map((node) => node.id);
}

test('parts of addresses, versions, paths and numbers are words of their own', async () => {
  const id = await api.createTicket(admin, projectId, {
    title: 'Mail bounces after the upgrade',
    description: 'Sent to alice@example.com from v1.2.3; see /var/log/syslog, load 3.14.',
  });
  for (const search of ['example', 'example.com', 'com', 'alice', 'v1', '2', 'syslog', 'log', '14', '3.14']) {
    expect({ search, found: await found(search) }).toEqual({ search, found: [id] });
  }
});

test('accents and case are ignored, and every word matches as a prefix', async () => {
  const id = await api.createTicket(admin, projectId, {
    title: 'Le café DÉRAILLE à l’écran',
    description: 'Straße, Ærøskøbing.',
  });
  for (const search of [
    'cafe',
    'CAFÉ',
    'déraille',
    'deraille',
    'derai',
    'ecran',
    'strasse',
    'straße',
    'aeroskobing',
  ]) {
    const hits = await found(search);
    if (search === 'strasse' || search === 'aeroskobing') {
      // Neither tokenizer expands ß or Æ: both databases agree in not finding them.
      expect({ search, hits }).toEqual({ search, hits: [] });
    } else {
      expect({ search, hits }).toEqual({ search, hits: [id] });
    }
  }
  expect(await found('cafe ecran')).toEqual([id]);
  // Compatibility forms (a ligature) are the letters they stand for, on both databases.
  const ligature = await api.createTicket(admin, projectId, { title: 'The ﬁle menu freezes' });
  expect(await found('file')).toEqual([ligature]);
  expect(await found('cafe nowhere')).toEqual([]);
});

test('a long discussion keeps taking comments, and the ticket stays findable', async () => {
  const id = await api.createTicket(admin, projectId, { title: 'Endless thread about zeppelins' });
  // 60 comments of 20,000 characters of words seen once: past PostgreSQL's 1 MB limit of a tsvector.
  for (let comment = 0; comment < 60; comment += 1) {
    let text = '';
    for (let word = 0; text.length < 19_990; word += 1)
      text += `q${comment.toString(36)}x${word.toString(36)} `;
    const answer = await api.gql(
      `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
      { id, input: { comment: text.trim() } },
      { token: admin.token },
    );
    expect(answer.errors).toBeUndefined();
  }
  expect(await found('zeppelins')).toEqual([id]);
  expect(await found('q0x0')).toEqual([id]);
}, 60_000);

describe('a word in more tickets than relevance ranks (RELEVANCE_LIMIT)', () => {
  const LIMIT = 1000;
  const COUNT = LIMIT + 60;
  let reporter: TestUser;
  let agent: TestUser;
  let common: string[];
  let reporterIds: string[];
  let resolvedIds: string[];
  let quixoticIds: string[];
  let noted: string;

  const PAGE = `query ($filter: TicketFilter, $after: String, $first: Int) {
    tickets(filter: $filter, first: $first, after: $after) {
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

  /** Every page of a search, 100 at a time: the ids in order, and each page's totalCount. */
  async function allPages(
    who: TestUser,
    filter: Record<string, unknown>,
  ): Promise<{ ids: string[]; counts: number[] }> {
    const ids: string[] = [];
    const counts: number[] = [];
    let after: string | null = null;
    do {
      const page: Page = await api.ok<Page>(PAGE, { filter, after, first: 100 }, who.token);
      ids.push(...page.tickets.nodes.map((node) => node.id));
      counts.push(page.tickets.totalCount);
      after = page.tickets.pageInfo.hasNextPage ? page.tickets.pageInfo.endCursor : null;
    } while (after);
    return { ids, counts };
  }

  const newestFirst = (ids: string[]) => [...ids].sort((a, b) => Number(b) - Number(a));

  beforeAll(async () => {
    reporter = await api.register('reporter');
    agent = await api.register('agent');
    await api.setRole(admin, agent, 'AGENT');
    const project = await api.createProject(admin, 'Crowded');
    // Every 4th ticket is the reporter's, every 3rd is resolved.
    let csv = 'title,description,status,author_email\n';
    for (let row = 0; row < COUNT; row += 1) {
      const author = row % 4 === 0 ? reporter.email : admin.email;
      const status = row % 3 === 0 ? 'resolved' : 'open';
      csv += `Crowded ticket ${row},The plumbus leaks (${row % 7 === 0 ? 'quixotic' : 'plain'}),${status},${author}\n`;
    }
    const answer = await api.http(`/api/import?format=csv&project=${project}`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${admin.token}` },
      body: csv,
    });
    expect(answer.status).toBe(200);
    const rowOf = new Map<string, number>();
    let after: string | null = null;
    do {
      const page: { tickets: Page['tickets'] & { nodes: { id: string; title: string }[] } } = await api.ok(
        `query ($after: String) {
          tickets(filter: { projectId: "${project}" }, first: 100, after: $after) {
            totalCount nodes { id title } pageInfo { hasNextPage endCursor }
          }
        }`,
        { after },
        admin.token,
      );
      for (const node of page.tickets.nodes) rowOf.set(node.id, Number(node.title.split(' ').at(-1)));
      after = page.tickets.pageInfo.hasNextPage ? page.tickets.pageInfo.endCursor : null;
    } while (after);
    common = newestFirst([...rowOf.keys()]);
    expect(common).toHaveLength(COUNT);
    reporterIds = common.filter((id) => rowOf.get(id)! % 4 === 0);
    resolvedIds = common.filter((id) => rowOf.get(id)! % 3 === 0);
    quixoticIds = common.filter((id) => rowOf.get(id)! % 7 === 0);
    // An internal note on one of the reporter's tickets, with a word of its own.
    noted = reporterIds[3];
    await api.ok(
      `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
      {
        id: noted,
        input: { comment: 'The plumbus supplier is unreliable: flibbertigibbet', internal: true },
      },
      agent.token,
    );
  }, 120_000);

  test('staff see every match newest first, page after page, with an exact count', async () => {
    const { ids, counts } = await allPages(agent, { search: 'plumbus' });
    expect(ids).toEqual(common);
    expect(new Set(counts)).toEqual(new Set([COUNT]));
  });

  test('a prefix of the word, and a second common word, are listed the same way', async () => {
    expect((await allPages(agent, { search: 'plumb' })).ids).toEqual(common);
    expect((await allPages(agent, { search: 'plumbus leaks' })).ids).toEqual(common);
  });

  test('other filters narrow the newest-first list, and the count follows', async () => {
    const { ids, counts } = await allPages(agent, { search: 'plumbus', open: false });
    expect(ids).toEqual(resolvedIds);
    expect(new Set(counts)).toEqual(new Set([resolvedIds.length]));
  });

  test('a USER finds only their own tickets, newest first, and counts only those', async () => {
    const { ids, counts } = await allPages(reporter, { search: 'plumbus' });
    expect(ids).toEqual(reporterIds);
    expect(new Set(counts)).toEqual(new Set([reporterIds.length]));
  });

  test('an internal note is found by staff, never by the USER author', async () => {
    expect((await allPages(agent, { search: 'flibbertigibbet' })).ids).toEqual([noted]);
    const mine = await allPages(reporter, { search: 'flibbertigibbet' });
    expect(mine).toEqual({ ids: [], counts: [0] });
    // The note's words count for staff only: the USER's matches stay their tickets' public text.
    expect((await allPages(reporter, { search: 'plumbus unreliable' })).ids).toEqual([]);
    expect((await allPages(agent, { search: 'plumbus unreliable' })).ids).toEqual([noted]);
  });

  test('a rarer word among them is ranked by relevance, every match once', async () => {
    const { ids, counts } = await allPages(agent, { search: 'quixotic' });
    expect(ids.length).toBeLessThanOrEqual(LIMIT);
    expect([...ids].sort()).toEqual([...quixoticIds].sort());
    expect(new Set(counts)).toEqual(new Set([quixoticIds.length]));
  });

  test('a cursor keeps the order of its first page, and a tampered one is refused', async () => {
    const first: Page = await api.ok<Page>(PAGE, { filter: { search: 'plumbus' }, first: 5 }, agent.token);
    expect(first.tickets.nodes.map((node) => node.id)).toEqual(common.slice(0, 5));
    // A newer match arrives: the next page goes on below the cursor, without repeating nor skipping.
    await api.createTicket(admin, projectId, { title: 'Another plumbus' });
    const second: Page = await api.ok<Page>(
      PAGE,
      { filter: { search: 'plumbus' }, first: 5, after: first.tickets.pageInfo.endCursor },
      agent.token,
    );
    expect(second.tickets.nodes.map((node) => node.id)).toEqual(common.slice(5, 10));
    const bad = await api.gql(
      PAGE,
      { filter: { search: 'plumbus' }, after: 'eyJrZXkiOiJ4In0' },
      { token: agent.token },
    );
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});
