import { TestApi, errorCodes, type TestUser } from './support/test-server';

/** updateTickets: staff change several tickets at once, one job per ticket, in one transaction (issue 13). */

jest.setTimeout(30_000);

const BULK = `mutation ($ids: [ID!]!, $input: BulkTicketUpdateInput!) {
  updateTickets(ids: $ids, input: $input) { id status priority closedAt assignee { username } }
}`;
const HISTORY = `query ($filter: HistoryFilter) { history(filter: $filter, first: 100) {
  nodes { id ticket { id } author { username } changes { field from to } }
} }`;
const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`;

interface Row {
  id: number;
  status: number;
  priority: number;
  assigneeId: number | null;
  updatedAt: number;
}

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let project: string;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  project = await api.createProject(admin, 'Web');
});
afterAll(() => api.stop());

async function tickets(count: number, author = alice): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 1)
    ids.push(await api.createTicket(author, project, { title: `Bulk ${i} ${Date.now()}` }));
  return ids;
}

const counts = async () => {
  const [jobs] = await api.sql<{ n: number }[]>(`SELECT COUNT(*) AS n FROM "job"`);
  const [events] = await api.sql<{ n: number }[]>(`SELECT COUNT(*) AS n FROM "event"`);
  return { jobs: Number(jobs.n), events: Number(events.n) };
};
const rows = async (ids: string[]): Promise<Row[]> =>
  (
    await api.sql<Row[]>(
      `SELECT "id", "status", "priority", "assigneeId", "updatedAt" FROM "ticket" WHERE "id" IN (${ids.map(() => '?').join(', ')}) ORDER BY "id"`,
      ids.map(Number),
    )
  ).map((row) => ({
    id: Number(row.id),
    status: Number(row.status),
    priority: Number(row.priority),
    assigneeId: row.assigneeId === null ? null : Number(row.assigneeId),
    updatedAt: Number(row.updatedAt),
  }));
const jobsOf = async (id: string) =>
  (
    await api.ok<{
      history: {
        nodes: {
          author: { username: string };
          changes: { field: string; from: string | null; to: string | null }[];
        }[];
      };
    }>(HISTORY, { filter: { ticketId: id } }, agent.token)
  ).history.nodes;

test('one job per ticket, with its event, and the history feed shows each change', async () => {
  const ids = await tickets(3);
  const before = await counts();
  const { updateTickets } = await api.ok<{
    updateTickets: { id: string; status: string; priority: string; assignee: { username: string } | null }[];
  }>(BULK, { ids, input: { status: 'IN_PROGRESS', priority: 'HIGH', assigneeId: agent.id } }, agent.token);
  expect(updateTickets).toEqual(
    ids.map((id) => ({
      id,
      status: 'IN_PROGRESS',
      priority: 'HIGH',
      closedAt: null,
      assignee: { username: agent.username },
    })),
  );
  expect(await counts()).toEqual({ jobs: before.jobs + 3, events: before.events + 3 });
  for (const id of ids) {
    const jobs = await jobsOf(id);
    expect(jobs).toHaveLength(2);
    expect(jobs[1].author.username).toBe(agent.username);
    expect(jobs[1].changes).toEqual([
      { field: 'status', from: 'OPEN', to: 'IN_PROGRESS' },
      { field: 'priority', from: 'NORMAL', to: 'HIGH' },
      { field: 'assignee', from: null, to: agent.username },
    ]);
  }
  const stored = await rows(ids);
  expect(stored.every((row) => row.assigneeId === Number(agent.id))).toBe(true);
});

test('a ticket already in that state gets no job and keeps its time; repeated ids count once', async () => {
  const [done, todo] = await tickets(2);
  await api.ok(BULK, { ids: [done], input: { status: 'RESOLVED' } }, agent.token);
  const [doneBefore] = await rows([done]);
  const before = await counts();
  const { updateTickets } = await api.ok<{
    updateTickets: { id: string; status: string; closedAt: string | null }[];
  }>(BULK, { ids: [done, todo, done], input: { status: 'RESOLVED' } }, agent.token);
  expect(updateTickets.map((t) => [t.id, t.status])).toEqual([
    [done, 'RESOLVED'],
    [todo, 'RESOLVED'],
  ]);
  expect(updateTickets[1].closedAt).not.toBeNull();
  expect(await counts()).toEqual({ jobs: before.jobs + 1, events: before.events + 1 });
  expect((await rows([done]))[0].updatedAt).toBe(doneBefore.updatedAt);
  expect(await jobsOf(done)).toHaveLength(2);

  // Unassigned, with "unassign": the previous assignee is named in the job.
  await api.ok(BULK, { ids: [todo], input: { assigneeId: admin.id } }, agent.token);
  await api.ok(BULK, { ids: [todo], input: { unassign: true } }, agent.token);
  expect((await jobsOf(todo)).at(-1)!.changes).toEqual([
    { field: 'assignee', from: admin.username, to: null },
  ]);
});

test('reopening a ticket closed as a duplicate ends the link, as updateTicket does', async () => {
  const [original, copy] = await tickets(2);
  await api.ok(
    `mutation ($id: ID!) { updateTicket(id: $id, input: { duplicateOfId: "${original}" }) { id } }`,
    { id: copy },
    agent.token,
  );
  const { updateTickets } = await api.ok<{ updateTickets: { status: string }[] }>(
    BULK,
    { ids: [copy], input: { status: 'OPEN' } },
    agent.token,
  );
  expect(updateTickets[0].status).toBe('OPEN');
  const { ticket } = await api.ok<{ ticket: { duplicateOf: { id: string } | null } }>(
    `query ($id: ID!) { ticket(id: $id) { duplicateOf { id } } }`,
    { id: copy },
    agent.token,
  );
  expect(ticket.duplicateOf).toBeNull();
  expect((await jobsOf(copy)).at(-1)!.changes).toEqual([
    { field: 'status', from: 'CLOSED', to: 'OPEN' },
    { field: 'duplicateOf', from: original, to: null },
  ]);
});

test('all or nothing: a missing ticket in the middle answers NOT_FOUND and writes nothing', async () => {
  const [first, last] = await tickets(2);
  const before = { counts: await counts(), rows: await rows([first, last]), snapshot: await api.snapshot() };
  const result = await api.gql(
    BULK,
    { ids: [first, '999999', last], input: { status: 'WAITING', priority: 'URGENT' } },
    { token: agent.token },
  );
  expect(errorCodes(result)).toEqual(['NOT_FOUND']);
  expect(result.errors![0].message).toBe('Ticket 999999 not found.');
  expect(await counts()).toEqual(before.counts);
  expect(await rows([first, last])).toEqual(before.rows);
  expect(await api.snapshot()).toEqual(before.snapshot);
});

test('one transaction: a write that fails on the second ticket undoes the first ticket’s', async () => {
  const [first, second, third] = await tickets(3);
  // A trigger refuses the second ticket's job, after the first ticket's row and job are written.
  const postgres = !!api.databaseUrl;
  if (postgres) {
    await api.sql(`CREATE FUNCTION "test_refuse_job"() RETURNS trigger AS $$ BEGIN
      IF NEW."ticketId" = ${Number(second)} THEN RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql`);
    await api.sql(
      `CREATE TRIGGER "test_refuse_job" BEFORE INSERT ON "job" FOR EACH ROW EXECUTE FUNCTION "test_refuse_job"()`,
    );
  } else {
    await api.sql(`CREATE TRIGGER "test_refuse_job" BEFORE INSERT ON "job" WHEN NEW."ticketId" = ${Number(second)}
      BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`);
  }
  try {
    const before = { counts: await counts(), rows: await rows([first, second, third]) };
    const result = await api.gql(
      BULK,
      { ids: [first, second, third], input: { priority: 'URGENT' } },
      { token: agent.token },
    );
    expect(errorCodes(result)).toEqual(['INTERNAL_SERVER_ERROR']);
    expect(JSON.stringify(result.errors)).not.toContain('refused by the test');
    expect(await counts()).toEqual(before.counts);
    expect(await rows([first, second, third])).toEqual(before.rows);
  } finally {
    await api.sql(postgres ? `DROP TRIGGER "test_refuse_job" ON "job"` : `DROP TRIGGER "test_refuse_job"`);
    if (postgres) await api.sql(`DROP FUNCTION "test_refuse_job"()`);
  }
});

test('the rules of updateTicket: a USER may not, the assignee must be active staff, a READ token cannot write', async () => {
  const ids = await tickets(2);
  const before = await api.snapshot();
  const own = await api.gql(BULK, { ids, input: { status: 'CLOSED' } }, { token: alice.token });
  expect(errorCodes(own)).toEqual(['FORBIDDEN']);

  const notStaff = await api.gql(BULK, { ids, input: { assigneeId: alice.id } }, { token: agent.token });
  expect(errorCodes(notStaff)).toEqual(['BAD_USER_INPUT']);
  expect(notStaff.errors![0].extensions!.invalidFields).toEqual([
    expect.objectContaining({ field: 'assigneeId', rule: 'notAssignable' }),
  ]);

  const leaver = await api.register('leaver');
  await api.setRole(admin, leaver, 'AGENT');
  await api.ok(
    `mutation ($id: ID!) { setUserDeactivated(userId: $id, deactivated: true) { id } }`,
    { id: leaver.id },
    admin.token,
  );
  const inactive = await api.gql(BULK, { ids, input: { assigneeId: leaver.id } }, { token: agent.token });
  expect(errorCodes(inactive)).toEqual(['BAD_USER_INPUT']);
  expect(inactive.errors![0].extensions!.invalidFields).toEqual([
    expect.objectContaining({ field: 'assigneeId' }),
  ]);

  const { createApiToken } = await api.ok<{ createApiToken: { secret: string } }>(
    CREATE_TOKEN,
    { input: { name: 'reader', scope: 'READ' } },
    agent.token,
  );
  const byToken = await api.gql(BULK, { ids, input: { status: 'CLOSED' } }, { token: createApiToken.secret });
  expect(errorCodes(byToken)).toEqual(['FORBIDDEN']);

  // Registering the leaver wrote its own rows: the tickets, jobs and events are as they were.
  const { job, event, ticket, ticketUpdatedAt } = await api.snapshot();
  expect({ job, event, ticket, ticketUpdatedAt }).toEqual({
    job: before.job,
    event: before.event,
    ticket: before.ticket,
    ticketUpdatedAt: before.ticketUpdatedAt,
  });
});

test('bad input: no ids, more than 100, nothing to change, assignee and unassign together', async () => {
  const [id] = await tickets(1);
  const cases: [Record<string, unknown>, string][] = [
    [{ ids: [], input: { status: 'CLOSED' } }, 'ids'],
    [{ ids: Array.from({ length: 101 }, (_, i) => String(i + 1)), input: { status: 'CLOSED' } }, 'ids'],
    [{ ids: [id], input: {} }, 'input'],
    [{ ids: [id], input: { assigneeId: agent.id, unassign: true } }, 'unassign'],
    [{ ids: ['x'], input: { status: 'CLOSED' } }, 'ids'],
  ];
  for (const [variables, field] of cases) {
    const result = await api.gql(BULK, variables, { token: agent.token });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions!.invalidFields).toEqual([expect.objectContaining({ field })]);
  }
});

test('SQL statements: a fixed few per changed ticket, the reads shared by the whole call', async () => {
  const signedIn = await api.sqlDuring(() => api.ok('{ me { id } }', {}, agent.token));
  const change = (ids: string[], priority: string) =>
    api.sqlDuring(() => api.ok(BULK, { ids, input: { priority, assigneeId: admin.id } }, agent.token));
  const three = await change(await tickets(3), 'LOW');
  const nine = await change(await tickets(9), 'LOW');
  const perTicket = (nine - three) / 6;
  // UPDATE ticket, INSERT job, INSERT event (PostgreSQL: and the append-order lock before each insert).
  expect(perTicket).toBe(api.databaseUrl ? 5 : 3);
  // Once for the whole call, whatever its size: the reads of the tickets and of the people named, and the
  // transaction's own statements (measured: 3 on SQLite, 6 on PostgreSQL).
  expect(three - signedIn - 3 * perTicket).toBe(api.databaseUrl ? 6 : 3);
});
