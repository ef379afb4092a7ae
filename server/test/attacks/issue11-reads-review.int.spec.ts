import type BetterSqlite3 from 'better-sqlite3';
import { rawQuery } from '../../src/database/sql';
import { preparedCount } from '../../src/database/sqlite-reads';
import { TICKETS, type TicketsView } from '../support/operations';
import { onPostgres } from '../support/postgres-project';
import { TestApi, errorCodes, type TestUser } from '../support/test-server';

/**
 * A review of today's two read paths as an attacker, over real HTTP: SQLite reads straight from
 * better-sqlite3 (database/sqlite-reads.ts: a bounded cache of prepared statements, rows built in JS,
 * errors wrapped as QueryFailedError) and field resolvers called without TypeGraphQL's handler
 * (callResolverMethodsDirectly in schema.ts). A probe that found nothing stays as a regression test.
 */
let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let project: string;
let aliceTicket: string;
let bobTicket: string;

const NOTE = 'Internal: the customer is on the old plan';

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
  project = await api.createProject(admin, 'Website');
  aliceTicket = await api.createTicket(alice, project, { title: 'Printer jams on page two' });
  bobTicket = await api.createTicket(bob, project, { title: 'Printer jams on page two again' });
  await update(agent, aliceTicket, { assigneeId: agent.id, status: 'IN_PROGRESS', comment: 'Looking' });
  await update(agent, aliceTicket, { comment: NOTE, internal: true });
  await update(admin, bobTicket, { priority: 'HIGH' });
  await update(admin, bobTicket, { comment: `Bob: ${NOTE}`, internal: true });
  for (let index = 0; index < 6; index += 1) {
    await api.createTicket(index % 2 ? alice : bob, project, {
      title: `Filler ${index}`,
      category: index % 3 ? 'BUG' : 'QUESTION',
    });
  }
});

afterAll(async () => {
  await api?.stop();
});

/** Every field of a ticket that is now resolved directly (Ticket.*, Job.*, User.*, Project.*). */
const DIRECT_FIELDS = `
  id title lastReporterActivityAt descriptionHtml
  project { id description openTicketCount }
  author { id email emailVerified notifyByEmail notifyNewTickets deactivated }
  assignee { id email emailVerified notifyByEmail notifyNewTickets deactivated }
  duplicateOf { id }
  possibleDuplicates { id author { id email } }
  attachments { id }
  jobs {
    id internal comment commentHtml attachments { id }
    author { id email notifyByEmail deactivated }
    ticket { id author { id email } jobs { id internal comment } }
  }
`;
const TICKET_DIRECT = `query ($id: ID!) { ticket(id: $id) { ${DIRECT_FIELDS} } }`;

/** The SQLite connection the reads go to (null on PostgreSQL). */
function sqliteConnection(): BetterSqlite3.Database | null {
  if (onPostgres) return null;
  const driver = api.server.services.database.dataSource.driver as unknown as {
    databaseConnection: BetterSqlite3.Database;
  };
  return driver.databaseConnection;
}

describe('fields resolved directly keep their rules', () => {
  test('a USER sees no internal note and no email but their own, at any depth', async () => {
    const response = await api.gql(TICKET_DIRECT, { id: aliceTicket }, { token: alice.token });
    expect(response.errors).toBeUndefined();
    const text = JSON.stringify(response.data);
    expect(text).not.toContain('Internal:');
    expect(text).not.toContain(agent.email);
    expect(text).not.toContain(admin.email);
    expect(text).not.toContain(bob.email);
    expect(text).not.toMatch(/"internal":true/);
    const ticket = response.data!.ticket;
    expect(ticket.author.email).toBe(alice.email);
    expect(ticket.assignee).toMatchObject({
      id: agent.id,
      email: null,
      notifyNewTickets: null,
      deactivated: null,
    });
    // Possible duplicates: only tickets alice may see (bob's look alike but are his).
    for (const duplicate of ticket.possibleDuplicates ?? []) expect(duplicate.author.id).toBe(alice.id);
    expect(ticket.jobs.length).toBeGreaterThan(0);
    for (const job of ticket.jobs) expect(job.ticket.id).toBe(aliceTicket);
  });

  test('staff see the internal note and the emails through the same fields (the probe above can fail)', async () => {
    const response = await api.gql(TICKET_DIRECT, { id: aliceTicket }, { token: admin.token });
    expect(response.errors).toBeUndefined();
    const text = JSON.stringify(response.data);
    expect(text).toContain(NOTE);
    expect(text).toContain(agent.email);
    expect(response.data!.ticket.assignee.email).toBe(agent.email);
    // An AGENT sees the note but not another user's email.
    const byAgent = await api.gql(TICKET_DIRECT, { id: aliceTicket }, { token: agent.token });
    expect(JSON.stringify(byAgent.data)).toContain(NOTE);
    expect(byAgent.data!.ticket.author.email).toBeNull();
  });

  test("another USER reads nothing of alice's ticket, directly or through a list, the history or similar tickets", async () => {
    const direct = await api.gql(TICKET_DIRECT, { id: aliceTicket }, { token: bob.token });
    expect(direct.data?.ticket ?? null).toBeNull();
    const listed = await api.gql(
      `{ tickets(first: 100) { nodes { ${DIRECT_FIELDS} } }
         history(first: 500) { nodes { id internal comment ticket { id author { id email } } author { email } } }
         similarTickets(text: "Printer jams on page two", first: 10) { id author { id email } } }`,
      {},
      { token: bob.token },
    );
    const text = JSON.stringify(listed);
    expect(text).not.toContain('Internal:');
    expect(text).not.toContain(alice.email);
    expect(text).not.toContain(agent.email);
    expect(text).not.toContain('Printer jams on page two"');
    for (const node of listed.data?.tickets.nodes ?? []) expect(node.author.id).toBe(bob.id);
    for (const node of listed.data?.history.nodes ?? []) expect(node.ticket.id).not.toBe(aliceTicket);
    for (const similar of listed.data?.similarTickets ?? []) expect(similar.id).not.toBe(aliceTicket);
  });

  test('an unauthenticated visitor gets UNAUTHENTICATED and no data for every root', async () => {
    for (const query of [
      TICKET_DIRECT,
      `{ tickets { nodes { ${DIRECT_FIELDS} } } }`,
      '{ history { nodes { id comment ticket { id } } } }',
      '{ webhooks { id project { id } recentDeliveries { id job { id comment } } } }',
      '{ projects { id description openTicketCount } }',
    ]) {
      const response = await api.gql(query, { id: aliceTicket });
      const text = JSON.stringify(response);
      expect(text).not.toContain('Internal:');
      expect(text).not.toContain('@example.com');
      expect(text).not.toContain('Printer');
      expect(response.errors?.length ?? 0).toBeGreaterThan(0);
    }
  });

  test("a USER cannot reach the admin's webhook and outbox fields", async () => {
    for (const query of [
      '{ webhooks { id project { id } recentDeliveries { id job { id comment } } } }',
      '{ outbox { nodes { id webhookDelivery { id } } } }',
    ]) {
      const response = await api.gql(query, {}, { token: alice.token });
      expect(response.errors?.length ?? 0).toBeGreaterThan(0);
      expect(JSON.stringify(response)).not.toContain('Internal:');
    }
  });

  test('aliases of the same direct fields do not mix viewers (no state kept on the shared instances)', async () => {
    const query = `query ($id: ID!) { a: ticket(id: $id) { ${DIRECT_FIELDS} } b: ticket(id: $id) { jobs { internal comment author { email } } } }`;
    const [asAdmin, asAlice, asAgent] = await Promise.all([
      api.gql(query, { id: aliceTicket }, { token: admin.token }),
      api.gql(query, { id: aliceTicket }, { token: alice.token }),
      api.gql(query, { id: aliceTicket }, { token: agent.token }),
    ]);
    expect(JSON.stringify(asAdmin.data)).toContain(NOTE);
    expect(JSON.stringify(asAgent.data)).toContain(NOTE);
    expect(JSON.stringify(asAlice.data)).not.toContain('Internal:');
    expect(JSON.stringify(asAlice.data)).not.toContain(agent.email);
  });
});

describe('the ticket list read straight from better-sqlite3', () => {
  const ids = async (who: TestUser, variables: Record<string, unknown>) => {
    const data = await api.ok<TicketsView>(TICKETS, variables, who.token);
    return { ids: data.tickets.nodes.map((node) => node.id).sort(), total: data.tickets.totalCount };
  };

  test('a filter repeating its values answers as the filter holding each once', async () => {
    const once = await ids(admin, { filter: { status: ['OPEN'], category: ['BUG'], priority: ['NORMAL'] } });
    const repeated = await ids(admin, {
      filter: {
        status: Array(2000).fill('OPEN'),
        category: Array(2000).fill('BUG'),
        priority: Array(2000).fill('NORMAL'),
      },
    });
    expect(repeated).toEqual(once);
    expect(once.ids.length).toBeGreaterThan(0);
    expect(once.total).toBe(once.ids.length);
  });

  test('every page of every order, walked by cursor, gives the same tickets as one page (rows named right)', async () => {
    const all = await ids(admin, { first: 100 });
    for (const field of ['ID', 'CREATED_AT', 'UPDATED_AT', 'PRIORITY', 'STATUS']) {
      for (const direction of ['ASC', 'DESC']) {
        const seen: string[] = [];
        let after: string | null = null;
        for (;;) {
          const page: TicketsView = await api.ok<TicketsView>(
            TICKETS,
            { first: 3, after, orderBy: { field, direction } },
            admin.token,
          );
          seen.push(...page.tickets.nodes.map((node) => node.id));
          if (!page.tickets.pageInfo.hasNextPage) break;
          after = page.tickets.pageInfo.endCursor;
        }
        expect(seen.sort()).toEqual(all.ids);
      }
    }
  });

  test('a USER lists only their own tickets, whatever the filter and search', async () => {
    for (const filter of [
      {},
      { authorId: alice.id },
      { search: 'Printer' },
      { status: ['OPEN', 'IN_PROGRESS'] },
    ]) {
      const data = await api.ok(
        `query ($filter: TicketFilter) { tickets(filter: $filter, first: 100) { totalCount nodes { id author { id } } } }`,
        { filter },
        bob.token,
      );
      for (const node of data.tickets.nodes) expect(node.author.id).toBe(bob.id);
      expect(data.tickets.totalCount).toBe(data.tickets.nodes.length);
    }
  });

  test.each([
    ['a cursor of another order', { after: 'eyJrIjoiSUQ6QVNDIiwidiI6MSwiaSI6MX0', first: 5 }],
    ['a cursor that is not base64', { after: '%%%', first: 5 }],
    ['an FTS phrase left open', { filter: { search: '"printer' } }],
    ['FTS operators alone', { filter: { search: 'NEAR( AND OR NOT * ^ :' } }],
    ['a column filter', { filter: { search: 'title:printer description:"x' } }],
    ['quotes and semicolons', { filter: { search: `'); DROP TABLE "ticket"; --` } }],
    ['a NUL character', { filter: { search: 'printer\u0000jam' } }],
    ['a lone surrogate', { filter: { search: 'printer \ud800 jam' } }],
    ['a search with a bad cursor', { filter: { search: 'printer' }, after: 'AAAA' }],
  ])('%s: no 500, no SQL text, no stack', async (_name, variables) => {
    for (const who of [alice, admin]) {
      const response = await api.http('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${who.token}` },
        body: JSON.stringify({ query: TICKETS, variables }),
      });
      expect(response.status).toBeLessThan(500);
      expect(response.text).not.toMatch(/SELECT|FROM "|QueryFailed|SQLITE_|sqlite|\bat .*\.(js|ts):\d+/i);
      expect(errorCodes(response.json)).not.toContain('INTERNAL_SERVER_ERROR');
    }
    expect(await api.sql('SELECT COUNT(*) AS n FROM "ticket"')).toEqual([{ n: expect.anything() }]);
  });
});

describe('the statement cache stays bounded', () => {
  test('hundreds of distinct statement texts from one USER: at most 200 kept, memory bounded', async () => {
    const connection = sqliteConnection();
    const statuses = ['OPEN', 'IN_PROGRESS', 'WAITING', 'RESOLVED', 'CLOSED'];
    const requests: Record<string, unknown>[] = [];
    for (let first = 1; first <= 100; first += 1) {
      for (const direction of ['ASC', 'DESC']) {
        requests.push({
          first,
          orderBy: { field: first % 2 ? 'UPDATED_AT' : 'PRIORITY', direction },
          filter: {
            status: statuses.slice(0, 1 + (first % 5)),
            category: ['BUG', 'OTHER'].slice(0, 1 + (first % 2)),
          },
        });
      }
    }
    const sweep = async () => {
      for (let index = 0; index < requests.length; index += 20) {
        await Promise.all(
          requests.slice(index, index + 20).map((variables) => api.ok(TICKETS, variables, alice.token)),
        );
      }
    };
    await sweep();
    if (connection) {
      // The cache was used (more than a handful of texts kept) and stopped at its bound.
      expect(preparedCount(connection)).toBeGreaterThan(100);
      expect(preparedCount(connection)).toBeLessThanOrEqual(200);
    }
    global.gc?.();
    const rss = process.memoryUsage().rss;
    for (let round = 0; round < 3; round += 1) await sweep();
    global.gc?.();
    if (connection) expect(preparedCount(connection)).toBeLessThanOrEqual(200);
    // 1,200 more requests over the same 200+ texts: the cache churns but does not grow.
    expect(process.memoryUsage().rss - rss).toBeLessThan(150 * 1024 * 1024);
  }, 120_000);

  test('aliases of the list with long filters and searches keep the cache at its bound', async () => {
    const connection = sqliteConnection();
    const aliases = Array.from(
      { length: 40 },
      (_, index) =>
        `a${index}: tickets(first: ${1 + index}, filter: { search: "printer ${index}", category: [BUG, QUESTION, OTHER, IMPROVEMENT, BUG] }) { totalCount nodes { id author { id } jobs { id author { id } } } }`,
    ).join('\n');
    for (let round = 0; round < 5; round += 1) {
      const response = await api.gql(`{ ${aliases} }`, {}, { token: agent.token });
      expect(errorCodes(response)).not.toContain('INTERNAL_SERVER_ERROR');
    }
    if (connection) expect(preparedCount(connection)).toBeLessThanOrEqual(200);
  }, 60_000);
});

describe('reads during a write that is then rolled back', () => {
  /**
   * DEFECT, PRE-EXISTING (not new in f15c03c): on SQLite every read (readRows/readBuiltRows) goes to the
   * single connection, so a request answered while another transaction is open reads that transaction's
   * uncommitted writes; when it then rolls back, the acknowledged answer showed a title that never
   * existed. Before f15c03c the reads went through a TypeORM query runner on the same connection
   * (createQueryRunner().connect() returns driver.databaseConnection, no lock), so they saw the same.
   * Only readCommitted (the history feed) waits its turn. Fails on SQLite; PostgreSQL reads committed data.
   */
  // A known defect on SQLite, left open (README, "The history feed's cursor…"): test.failing passes while
  // it stays, and fails the day reads stop seeing a transaction in flight, to be turned into a plain test.
  (onPostgres ? test : test.failing)(
    'pre-existing: a ticket read while a transaction is open shows none of its writes once it rolls back',
    async () => {
      const database = api.server.services.database;
      const query = `{ t: ticket(id: "${aliceTicket}") { title } tickets(first: 100) { nodes { title } } }`;
      const answer = await database
        .transaction(async (manager) => {
          await rawQuery(manager, 'UPDATE "ticket" SET "title" = ? WHERE "id" = ?', [
            'NEVER COMMITTED',
            Number(aliceTicket),
          ]);
          const during = await Promise.race([
            api.http('/graphql', {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${alice.token}` },
              body: JSON.stringify({ query }),
            }),
            new Promise<null>((resolve) => setTimeout(() => resolve(null), 3000)),
          ]);
          throw Object.assign(new Error('rolled back on purpose'), { during });
        })
        .catch((error: { during?: { status: number; text: string } | null }) => error.during);
      const after = await api.ok<{ ticket: { title: string } }>(
        `{ ticket(id: "${aliceTicket}") { title } }`,
        {},
        alice.token,
      );
      expect(after.ticket.title).toBe('Printer jams on page two');
      // Answered (not held until the transaction ended): it must not show what was never committed.
      if (answer) {
        expect(answer.status).toBe(200);
        expect(answer.text).not.toContain('NEVER COMMITTED');
      }
    },
  );
});
