import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

/** The history feed: what each role sees, the filters, the paging, and cursors that survive concurrent writers. */

const HISTORY = `query ($filter: HistoryFilter, $first: Int, $after: String) {
  history(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id internal createdAt ticket { id } } }
    nodes { id }
    pageInfo { hasNextPage endCursor }
  }
}`;

const HISTORY_COUNTED = HISTORY.replace('pageInfo {', 'totalCount pageInfo {');

interface FeedJob {
  id: string;
  internal: boolean;
  createdAt: string;
  ticket: { id: string };
}
interface FeedPage {
  edges: { cursor: string; node: FeedJob }[];
  nodes: { id: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  totalCount?: number;
}

/** A job as the database holds it, with its ticket's author and project: the truth the feed is checked against. */
interface TruthJob {
  id: number;
  internal: boolean;
  createdAt: number;
  ticketId: number;
  ticketAuthorId: number;
  projectId: number;
}

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let website: string;
let mobile: string;
let archived: string;
const tickets: Record<string, string> = {};

const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.ok(
    'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
    { id, input },
    who.token,
  );

function history(
  who: TestUser | null,
  variables: Record<string, unknown> = {},
  query = HISTORY,
): Promise<GraphQLResponse<{ history: FeedPage }>> {
  return api.gql<{ history: FeedPage }>(query, variables, { token: who?.token });
}

async function page(
  who: TestUser,
  variables: Record<string, unknown> = {},
  query = HISTORY,
): Promise<FeedPage> {
  return (await api.ok<{ history: FeedPage }>(query, variables, who.token)).history;
}

/** Follows the feed to its end, page by page; returns the job ids in the order received. */
async function follow(
  who: TestUser,
  filter: Record<string, unknown> | undefined,
  first = 3,
): Promise<{ ids: number[]; pages: FeedPage[] }> {
  const pages: FeedPage[] = [];
  let after: string | null = null;
  for (;;) {
    const next = await page(who, { filter, first, after });
    pages.push(next);
    if (!next.pageInfo.hasNextPage) break;
    after = next.pageInfo.endCursor;
  }
  return { ids: pages.flatMap((p) => p.edges.map((edge) => Number(edge.node.id))), pages };
}

async function truth(): Promise<TruthJob[]> {
  const rows: Record<string, number>[] = await api.server.services.database.dataSource.query(
    `SELECT j."id", j."internal", j."createdAt", j."ticketId", t."authorId" AS "ticketAuthorId", t."projectId"
     FROM "job" j JOIN "ticket" t ON t."id" = j."ticketId" ORDER BY j."id"`,
  );
  return rows.map((row) => ({
    id: Number(row.id),
    internal: Boolean(row.internal),
    createdAt: Number(row.createdAt),
    ticketId: Number(row.ticketId),
    ticketAuthorId: Number(row.ticketAuthorId),
    projectId: Number(row.projectId),
  }));
}

/** What a viewer may see of the truth: the policy, restated here from the contract's words. */
const seenBy = (who: TestUser, jobs: TruthJob[]) =>
  who === alice || who === bob
    ? jobs.filter((job) => job.ticketAuthorId === Number(who.id) && !job.internal)
    : jobs;
const idsOf = (jobs: TruthJob[]) => jobs.map((job) => job.id);

beforeAll(async () => {
  api = await TestApi.start({}, { captureLogs: true });
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  website = await api.createProject(admin, 'Website');
  mobile = await api.createProject(admin, 'Mobile');
  archived = await api.createProject(admin, 'Old intranet');

  tickets.login = await api.createTicket(alice, website, { title: 'Login button does nothing' });
  await update(agent, tickets.login, { comment: 'Customer is on the legacy plan.', internal: true });
  await update(agent, tickets.login, { comment: 'Looking into it.', status: 'IN_PROGRESS' });
  tickets.export = await api.createTicket(bob, website, { title: 'Export to CSV' });
  await update(agent, tickets.export, { priority: 'HIGH' });
  tickets.crash = await api.createTicket(alice, mobile, { title: 'Crash on startup' });
  await update(alice, tickets.crash, { comment: 'Still crashing on 2.1.' });
  tickets.cert = await api.createTicket(admin, mobile, { title: 'Server certificate expiring' });
  await update(admin, tickets.cert, { comment: 'Renewal ordered.', internal: true });
  tickets.intranet = await api.createTicket(alice, archived, { title: 'Intranet page is blank' });
  await update(agent, tickets.login, { comment: 'Fixed in 2.2.', status: 'RESOLVED' });
  await api.ok(
    'mutation ($id: ID!) { updateProject(id: $id, input: { archived: true }) { id } }',
    { id: archived },
    admin.token,
  );
});
afterAll(() => api.stop());

describe('who sees what', () => {
  test.each([
    ['an ADMIN', () => admin],
    ['an AGENT', () => agent],
  ])('%s sees every job, internal notes included, oldest first', async (_who, who) => {
    const all = await truth();
    const { ids } = await follow(who(), undefined, 100);
    expect(ids).toEqual(idsOf(all));
    expect(all.some((job) => job.internal)).toBe(true);
  });

  test.each([
    ['alice', () => alice],
    ['bob', () => bob],
  ])('a USER (%s) sees the jobs of their own tickets only, never an internal note', async (_who, who) => {
    const all = await truth();
    const { ids, pages } = await follow(who(), undefined, 100);
    expect(ids).toEqual(idsOf(seenBy(who(), all)));
    expect(ids.length).toBeGreaterThan(0);
    expect(pages.flatMap((p) => p.edges).some((edge) => edge.node.internal)).toBe(false);
    const ownTickets = new Set(
      all.filter((j) => j.ticketAuthorId === Number(who().id)).map((j) => j.ticketId),
    );
    for (const edge of pages.flatMap((p) => p.edges))
      expect(ownTickets.has(Number(edge.node.ticket.id))).toBe(true);
  });
});

describe('filters', () => {
  const sinceOf = (jobs: TruthJob[]) => jobs[Math.floor(jobs.length / 2)].createdAt;

  test.each([
    ['projectId', () => ({ projectId: website }), (job: TruthJob) => job.projectId === Number(website)],
    [
      'ticketId',
      () => ({ ticketId: tickets.login }),
      (job: TruthJob) => job.ticketId === Number(tickets.login),
    ],
  ])('%s narrows the feed, for staff and for a USER', async (_name, filter, keep) => {
    const all = await truth();
    for (const who of [agent, alice]) {
      const { ids } = await follow(who, filter(), 2);
      const expected = idsOf(seenBy(who, all).filter(keep));
      expect(ids).toEqual(expected);
      expect(expected.length).toBeGreaterThan(0);
    }
  });

  test('since keeps the jobs created strictly after the instant', async () => {
    const all = await truth();
    const since = sinceOf(all);
    const { ids } = await follow(agent, { since: new Date(since).toISOString() }, 2);
    expect(ids).toEqual(idsOf(all.filter((job) => job.createdAt > since)));
    // Strictly after: a job created at that very instant is not repeated.
    expect(ids).not.toContain(all.find((job) => job.createdAt === since)!.id);
  });

  test('filters combine (project, ticket and since), and a USER still sees only their part', async () => {
    const all = await truth();
    const since = all.find((job) => job.ticketId === Number(tickets.login))!.createdAt;
    const cases: [TestUser, Record<string, unknown>, (job: TruthJob) => boolean][] = [
      [
        agent,
        { projectId: website, since: new Date(since).toISOString() },
        (job) => job.projectId === Number(website) && job.createdAt > since,
      ],
      [
        alice,
        { projectId: website, ticketId: tickets.login },
        (job) => job.ticketId === Number(tickets.login),
      ],
      [agent, { projectId: mobile, ticketId: tickets.login }, () => false],
      [alice, { projectId: mobile }, (job) => job.projectId === Number(mobile)],
    ];
    for (const [who, filter, keep] of cases) {
      expect((await follow(who, filter, 2)).ids).toEqual(idsOf(seenBy(who, all).filter(keep)));
    }
  });

  test('a ticket the viewer may not see answers exactly like one that does not exist: NOT_FOUND', async () => {
    const foreign = await history(alice, { filter: { ticketId: tickets.export } });
    const missing = await history(alice, { filter: { ticketId: '9999' } });
    expect(errorCodes(foreign)).toEqual(['NOT_FOUND']);
    expect(errorCodes(missing)).toEqual(['NOT_FOUND']);
    expect(foreign.errors![0].message.replace(tickets.export, 'N')).toBe(
      missing.errors![0].message.replace('9999', 'N'),
    );
    expect(foreign.data).toEqual(missing.data);
    // Staff see bob's ticket, but one that does not exist is NOT_FOUND for them too.
    expect((await page(agent, { filter: { ticketId: tickets.export } })).nodes.length).toBeGreaterThan(0);
    expect(errorCodes(await history(agent, { filter: { ticketId: '9999' } }))).toEqual(['NOT_FOUND']);
  });

  test('a project answers like project(id): NOT_FOUND when missing, or archived for a USER', async () => {
    expect(errorCodes(await history(agent, { filter: { projectId: '9999' } }))).toEqual(['NOT_FOUND']);
    expect(errorCodes(await history(alice, { filter: { projectId: '9999' } }))).toEqual(['NOT_FOUND']);
    const hidden = await history(alice, { filter: { projectId: archived } });
    expect(errorCodes(hidden)).toEqual(['NOT_FOUND']);
    expect(hidden.errors![0].message.replace(archived, 'N')).toBe('Project N not found.');
    expect(
      errorCodes(
        await api.gql(
          'query ($id: ID!) { project(id: $id) { id } }',
          { id: archived },
          { token: alice.token },
        ),
      ),
    ).toEqual(['NOT_FOUND']);
    // Staff still read an archived project's history; alice still reads her ticket there without the filter.
    expect((await page(agent, { filter: { projectId: archived } })).nodes.length).toBeGreaterThan(0);
    const intranetJobs = (await follow(alice, { ticketId: tickets.intranet })).ids;
    expect(intranetJobs.length).toBe(1);
  });

  test('a project the USER has no ticket in is an empty feed, not an error', async () => {
    const result = await page(bob, { filter: { projectId: mobile } }, HISTORY_COUNTED);
    expect(result).toEqual({
      edges: [],
      nodes: [],
      pageInfo: { hasNextPage: false, endCursor: null },
      totalCount: 0,
    });
  });
});

describe('paging', () => {
  test('small pages, followed to the end, give each job once, in order; the last says so', async () => {
    const all = await truth();
    const { ids, pages } = await follow(agent, undefined, 2);
    expect(ids).toEqual(idsOf(all));
    expect(pages.length).toBe(Math.ceil(all.length / 2));
    for (const p of pages) {
      expect(p.pageInfo.endCursor).toBe(p.edges.at(-1)!.cursor);
      expect(p.nodes.map((n) => n.id)).toEqual(p.edges.map((e) => e.node.id));
    }
    expect(pages.slice(0, -1).every((p) => p.pageInfo.hasNextPage)).toBe(true);
    expect(pages.at(-1)!.pageInfo.hasNextPage).toBe(false);
  });

  test('after the last job: an empty page with a null endCursor; a new job then appears after that same cursor', async () => {
    const { pages } = await follow(admin, { ticketId: tickets.cert }, 100);
    const last = pages.at(-1)!.pageInfo.endCursor;
    const empty = await page(admin, { filter: { ticketId: tickets.cert }, after: last });
    expect(empty).toEqual({ edges: [], nodes: [], pageInfo: { hasNextPage: false, endCursor: null } });
    await update(admin, tickets.cert, { comment: 'Installed.' });
    const next = await page(admin, { filter: { ticketId: tickets.cert }, after: last });
    expect(next.edges.map((e) => e.node.id)).toEqual([String((await truth()).at(-1)!.id)]);
  });

  test('totalCount counts every visible job matching the filter, not only those after the cursor', async () => {
    const all = await truth();
    const first = await page(alice, { first: 1 }, HISTORY_COUNTED);
    const second = await page(alice, { first: 1, after: first.pageInfo.endCursor }, HISTORY_COUNTED);
    expect(first.totalCount).toBe(seenBy(alice, all).length);
    expect(second.totalCount).toBe(first.totalCount);
    const narrowed = await page(agent, { first: 1, filter: { projectId: website } }, HISTORY_COUNTED);
    expect(narrowed.totalCount).toBe(all.filter((job) => job.projectId === Number(website)).length);
  });
});

describe('bad input', () => {
  const invalidFields = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.invalidFields;

  test.each([0, -1, 501, 1_000_000])('first: %p is BAD_USER_INPUT on first', async (first) => {
    const result = await history(agent, { first });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(result)).toEqual([expect.objectContaining({ field: 'first', rule: 'range' })]);
    expect(result.errors![0].message).toBe('first must be 1 to 500.');
  });

  test('first: 500 and the default (100) are accepted', async () => {
    expect((await history(agent, { first: 500 })).errors).toBeUndefined();
    expect((await history(agent)).errors).toBeUndefined();
  });

  test.each([
    ['garbage', () => 'not a cursor'],
    [
      'a cursor of the ticket list',
      () => Buffer.from(JSON.stringify({ key: 'ID:ASC', value: 3, id: 3 })).toString('base64url'),
    ],
    [
      'a tampered id',
      () => Buffer.from(JSON.stringify({ key: 'JOB', value: null, id: 'x' })).toString('base64url'),
    ],
    ['a very long string', () => 'a'.repeat(600)],
  ])('after: %s is BAD_USER_INPUT on after, never a 500', async (_label, after) => {
    const result = await history(agent, { after: after() });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(result)).toEqual([expect.objectContaining({ field: 'after' })]);
    expect(JSON.stringify(result)).not.toMatch(/SELECT|stack|at .*\.ts/);
  });

  test('a ticket cursor from tickets() is refused, and a feed cursor by tickets()', async () => {
    const feedCursor = (await page(agent, { first: 1 })).pageInfo.endCursor;
    const result = await api.gql(
      'query ($after: String) { tickets(after: $after) { nodes { id } } }',
      { after: feedCursor },
      { token: agent.token },
    );
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
  });

  test.each([
    ['projectId', { projectId: 'abc' }],
    ['ticketId', { ticketId: '-1' }],
  ])('a malformed %s is BAD_USER_INPUT', async (field, filter) => {
    const result = await history(agent, { filter });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(result)).toEqual([expect.objectContaining({ field, rule: 'format' })]);
  });

  test('since that is not an instant is BAD_USER_INPUT', async () => {
    expect(errorCodes(await history(agent, { filter: { since: 'yesterday' } }))).toEqual(['BAD_USER_INPUT']);
  });

  test('anonymous: UNAUTHENTICATED', async () => {
    const result = await history(null);
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.data ?? null).toBeNull();
  });
});

describe('SQL statements', () => {
  /** The statements one request sent, as its log line reports them. */
  async function statementsOf(who: TestUser, query: string, variables: Record<string, unknown> = {}) {
    await api.ok(query, variables, who.token);
    return api.requestLogs().at(-1)!.sql as number;
  }
  const FULL = `query ($first: Int, $filter: HistoryFilter) { history(first: $first, filter: $filter) {
    edges { cursor node { id comment status changes { field } author { username } ticket { id title author { username } } } }
    pageInfo { hasNextPage endCursor } } }`;

  test('a page costs one statement, plus one per relation asked (DataLoaders), whatever its size', async () => {
    // What authentication costs, so that the pin is about the feed alone.
    const signedIn = await statementsOf(agent, '{ me { id } }');
    expect(await statementsOf(agent, '{ history(first: 1) { pageInfo { endCursor } } }')).toBe(signedIn + 1);
    // Job authors and tickets, then the tickets' authors: three batches, for 2 jobs as for all of them.
    expect(await statementsOf(agent, FULL, { first: 2 })).toBe(signedIn + 3);
    expect(await statementsOf(agent, FULL, { first: 500 })).toBe(signedIn + 3);
    expect(
      await statementsOf(agent, FULL.replace('pageInfo {', 'totalCount pageInfo {'), { first: 500 }),
    ).toBe(signedIn + 4);
    // A filter by project or ticket checks that it exists and may be seen: one more.
    expect(
      await statementsOf(
        alice,
        '{ history { nodes { id } } }'.replace('history', `history(filter: { projectId: "${website}" })`),
      ),
    ).toBe((await statementsOf(alice, '{ me { id } }')) + 2);
  });
});

describe('cursors stay stable while jobs are written', () => {
  const WRITERS = 4;
  const JOBS_PER_WRITER = 250;
  const JOBS_PER_TICKET = 10;

  /** One writer: tickets of its own, each opened then updated until it holds JOBS_PER_TICKET jobs. */
  async function write(who: TestUser, staff: boolean, projectId: string): Promise<number> {
    let written = 0;
    while (written < JOBS_PER_WRITER) {
      const id = await api.createTicket(who, projectId, { title: `Load ${who.username} ${written}` });
      written += 1;
      for (let n = 1; n < JOBS_PER_TICKET; n += 1) {
        await update(who, id, { comment: `Note ${n}.`, internal: staff && n % 3 === 0 });
        written += 1;
      }
    }
    return written;
  }

  /** A reader polling "everything after my last cursor" with small pages until the writers are done. */
  async function read(who: TestUser, after: string | null, first: number, done: () => boolean) {
    const ids: number[] = [];
    let pages = 0;
    let emptyPages = 0;
    let pagesDuringWrites = 0;
    for (;;) {
      const writersDone = done();
      const next = await page(who, { first, after });
      pages += 1;
      if (!writersDone && next.edges.length > 0) pagesDuringWrites += 1;
      ids.push(...next.edges.map((edge) => Number(edge.node.id)));
      if (next.pageInfo.endCursor) after = next.pageInfo.endCursor;
      // Finished only after an empty read that began once every writer had its answer.
      if (next.edges.length === 0) {
        if (writersDone) break;
        emptyPages += 1;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    }
    return { ids, pages, emptyPages, pagesDuringWrites };
  }

  const tally = (seen: number[], expected: number[]) => ({
    duplicates: seen.length - new Set(seen).size,
    missed: expected.filter((id) => !new Set(seen).has(id)).length,
    unexpected: seen.filter((id) => !new Set(expected).has(id)).length,
    outOfOrder: seen.filter((id, i) => i > 0 && id <= seen[i - 1]).length,
  });

  test('1,000 jobs from 4 concurrent writers: each reader sees every job it may, exactly once, in order', async () => {
    const before = await truth();
    const lastSeen = (await follow(admin, undefined, 500)).pages.at(-1)!.pageInfo.endCursor;
    const aliceLast = (await follow(alice, undefined, 500)).pages.at(-1)!.pageInfo.endCursor;
    let writersDone = false;
    const started = Date.now();
    const writers = Promise.all([
      write(admin, true, website),
      write(agent, true, mobile),
      write(alice, false, website),
      write(bob, false, mobile),
    ]).finally(() => {
      writersDone = true;
    });
    const [written, staffReader, aliceReader] = await Promise.all([
      writers,
      read(admin, lastSeen, 7, () => writersDone),
      read(alice, aliceLast, 5, () => writersDone),
    ]);
    const elapsedMs = Date.now() - started;

    const after = await truth();
    const newJobs = after.slice(before.length);
    const jobsWritten = written.reduce((sum, n) => sum + n, 0);
    expect(jobsWritten).toBe(WRITERS * JOBS_PER_WRITER);
    expect(newJobs.length).toBe(jobsWritten);
    const staffTally = tally(staffReader.ids, idsOf(newJobs));
    const aliceTally = tally(aliceReader.ids, idsOf(seenBy(alice, newJobs)));
    console.log(
      [
        `history feed under concurrent writers: ${jobsWritten} jobs written by ${WRITERS} writers over HTTP in ${elapsedMs} ms`,
        `  staff reader (first: 7): ${staffReader.ids.length} jobs in ${staffReader.pages} pages (${staffReader.pagesDuringWrites} while writing, ${staffReader.emptyPages} empty polls), ` +
          `duplicates ${staffTally.duplicates}, missed ${staffTally.missed}, unexpected ${staffTally.unexpected}, out of order ${staffTally.outOfOrder}`,
        `  USER reader (first: 5): ${aliceReader.ids.length} of her ${seenBy(alice, newJobs).length} visible jobs in ${aliceReader.pages} pages, ` +
          `duplicates ${aliceTally.duplicates}, missed ${aliceTally.missed}, unexpected ${aliceTally.unexpected}, out of order ${aliceTally.outOfOrder}`,
      ].join('\n'),
    );
    expect(staffTally).toEqual({ duplicates: 0, missed: 0, unexpected: 0, outOfOrder: 0 });
    expect(aliceTally).toEqual({ duplicates: 0, missed: 0, unexpected: 0, outOfOrder: 0 });
    expect(staffReader.ids).toEqual(idsOf(newJobs));
    // The readers really read while the writers wrote, not in one drain at the end.
    expect(staffReader.pagesDuringWrites).toBeGreaterThan(20);
    expect(aliceReader.pagesDuringWrites).toBeGreaterThan(5);
  }, 180_000);
});
