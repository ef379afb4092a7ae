import { TICKET, UPDATE_TICKET, type JobView, type TicketView } from './support/operations';
import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let user: TestUser;
let websiteId: string;
let mobileId: string;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  user = await api.register('user');
  websiteId = await api.createProject(admin, 'Website');
  mobileId = await api.createProject(admin, 'Mobile');
});
afterAll(() => api.stop());

const invalidField = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.invalidFields?.[0];
const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.gql<{ updateTicket: TicketView }>(UPDATE_TICKET, { id, input }, { token: who.token });
const read = async (who: TestUser, id: string) =>
  (await api.ok<{ ticket: TicketView }>(TICKET, { id }, who.token)).ticket;
const jobCount = async (id: string) => (await read(admin, id)).jobs.length;

describe('the history of a ticket', () => {
  let ticketId: string;
  let opened: TicketView;

  beforeAll(async () => {
    ticketId = await api.createTicket(user, websiteId, {
      title: 'Logo is blurry',
      description: 'On retina screens.',
    });
    opened = await read(user, ticketId);
  });

  test('createTicket writes the opening job: author, time, status OPEN, change status null → OPEN', () => {
    expect(opened.jobs).toEqual([
      {
        id: expect.any(String),
        createdAt: opened.createdAt,
        comment: null,
        internal: false,
        status: 'OPEN',
        author: { id: user.id, username: user.username },
        changes: [{ field: 'status', from: null, to: 'OPEN' }],
      },
    ]);
  });

  test('one staff edit records every field change from → to: enums by name, users by username, project by name', async () => {
    const result = await update(agent, ticketId, {
      status: 'IN_PROGRESS',
      priority: 'HIGH',
      category: 'BUG',
      projectId: mobileId,
      assigneeId: agent.id,
      title: 'Logo is blurry on retina',
      comment: 'Taking this one.',
    });
    expect(result.errors).toBeUndefined();
    const job = result.data!.updateTicket.jobs.at(-1)!;
    expect(job).toMatchObject({
      comment: 'Taking this one.',
      internal: false,
      status: 'IN_PROGRESS',
      author: { id: agent.id, username: agent.username },
    });
    expect(Date.parse(job.createdAt)).toBeGreaterThanOrEqual(Date.parse(opened.createdAt));
    expect(job.changes).toEqual(
      expect.arrayContaining([
        { field: 'status', from: 'OPEN', to: 'IN_PROGRESS' },
        { field: 'priority', from: 'NORMAL', to: 'HIGH' },
        { field: 'category', from: 'OTHER', to: 'BUG' },
        { field: 'project', from: 'Website', to: 'Mobile' },
        { field: 'assignee', from: null, to: agent.username },
        { field: 'title', from: 'Logo is blurry', to: 'Logo is blurry on retina' },
      ]),
    );
    expect(job.changes).toHaveLength(6);
  });

  test('reassigning and unassigning name both users; the job status is the status after the edit', async () => {
    const reassigned = (
      await update(admin, ticketId, { assigneeId: admin.id, status: 'WAITING' })
    ).data!.updateTicket.jobs.at(-1)!;
    expect(reassigned.status).toBe('WAITING');
    expect(reassigned.changes).toEqual(
      expect.arrayContaining([
        { field: 'assignee', from: agent.username, to: admin.username },
        { field: 'status', from: 'IN_PROGRESS', to: 'WAITING' },
      ]),
    );
    const unassigned = (await update(admin, ticketId, { unassign: true })).data!.updateTicket.jobs.at(-1)!;
    expect(unassigned).toMatchObject({
      status: 'WAITING',
      changes: [{ field: 'assignee', from: admin.username, to: null }],
    });
  });

  test('the reporter answering a WAITING ticket puts it back to OPEN, in the same job as the answer', async () => {
    const answered = (
      await update(user, ticketId, { comment: 'Chrome 120 on a MacBook.' })
    ).data!.updateTicket.jobs.at(-1)!;
    expect(answered).toMatchObject({
      comment: 'Chrome 120 on a MacBook.',
      changes: [{ field: 'status', from: 'WAITING', to: 'OPEN' }],
      status: 'OPEN',
      author: { id: user.id },
    });
  });

  test('a comment alone is a job with no change; only changed fields are recorded', async () => {
    const commented = (
      await update(user, ticketId, { comment: 'Also on Firefox.' })
    ).data!.updateTicket.jobs.at(-1)!;
    expect(commented).toMatchObject({
      comment: 'Also on Firefox.',
      changes: [],
      status: 'OPEN',
      author: { id: user.id },
    });
    // priority HIGH is already HIGH: only category is recorded.
    const partial = (
      await update(agent, ticketId, { priority: 'HIGH', category: 'QUESTION' })
    ).data!.updateTicket.jobs.at(-1)!;
    expect(partial.changes).toEqual([{ field: 'category', from: 'BUG', to: 'QUESTION' }]);
  });

  test('every job is recorded with exactly one domain event, in order, naming its ticket and author', async () => {
    const rows = (await api.sql(
      `SELECT j."id" AS job, e."type" AS type, e."ticketId" AS ticket, e."actorId" AS actor, j."authorId" AS author
       FROM "job" j LEFT JOIN "event" e ON e."jobId" = j."id" WHERE j."ticketId" = ? ORDER BY j."id"`,
      [Number(ticketId)],
    )) as { job: number; type: string; ticket: number; actor: number; author: number }[];
    expect(rows[0].type).toBe('ticket.opened');
    for (const row of rows.slice(1)) expect(row.type).toBe('ticket.updated');
    for (const row of rows) expect(row).toMatchObject({ ticket: Number(ticketId), actor: row.author });
    const [{ n }] = await api.server.services.database.dataSource.query('SELECT COUNT(*) AS n FROM "event"');
    const [{ jobs }] = await api.server.services.database.dataSource.query(
      'SELECT COUNT(*) AS jobs FROM "job"',
    );
    expect(Number(n)).toBe(Number(jobs));
  });

  test('the history is append-only: earlier jobs read the same after later edits, oldest first', async () => {
    const before = (await read(admin, ticketId)).jobs;
    await update(agent, ticketId, { status: 'RESOLVED', comment: 'New logo deployed.' });
    const after = (await read(admin, ticketId)).jobs;
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after).toHaveLength(before.length + 1);
    const ids = after.map((job) => Number(job.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(after[0].changes).toEqual([{ field: 'status', from: null, to: 'OPEN' }]);
  });

  test.each([
    ['an empty input', {}],
    ['the values it already has', { priority: 'HIGH', category: 'QUESTION', status: 'RESOLVED' }],
    ['a blank comment', { comment: '   ' }],
    ['unassign on an unassigned ticket', { unassign: true }],
  ])(
    'an update with no change and no comment (%s) is BAD_USER_INPUT and writes nothing',
    async (_what, input) => {
      const before = await api.snapshot();
      const result = await update(agent, ticketId, input);
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(invalidField(result)).toMatchObject({ rule: 'noChange' });
      expect(await api.snapshot()).toEqual(before);
    },
  );
});

describe('internal notes', () => {
  let ticketId: string;

  beforeAll(async () => {
    ticketId = await api.createTicket(user, websiteId, {
      title: 'Invoice total wrong',
      description: 'Off by one cent.',
    });
    await update(agent, ticketId, { comment: 'Looking into rounding.' });
  });

  test('staff write them; staff see them; the USER author never does', async () => {
    const before = await read(user, ticketId);
    const note = await update(agent, ticketId, {
      comment: 'Customer is on the legacy plan.',
      internal: true,
    });
    expect(note.errors).toBeUndefined();
    const staffView = await read(admin, ticketId);
    expect(staffView.jobs.at(-1)).toMatchObject({
      internal: true,
      comment: 'Customer is on the legacy plan.',
      changes: [],
    });

    const authorView = await read(user, ticketId);
    expect(authorView.jobs).toEqual(before.jobs);
    expect(JSON.stringify(authorView)).not.toContain('legacy');
    // Not even "last updated" moves for the author.
    expect(authorView.updatedAt).toBe(before.updatedAt);
  });

  test("the author's next edit is answered with a history that still hides the note", async () => {
    const reply = await update(user, ticketId, { comment: 'Any news?' });
    expect(reply.errors).toBeUndefined();
    expect(reply.data!.updateTicket.jobs.some((job: JobView) => job.internal)).toBe(false);
    expect(JSON.stringify(reply.data)).not.toContain('legacy');
  });

  test.each([
    ['without a comment', { internal: true }],
    ['with a blank comment', { internal: true, comment: '  ' }],
    ['with a field change', { internal: true, comment: 'Bumping.', priority: 'URGENT' }],
    ['with a status change', { internal: true, comment: 'Done.', status: 'RESOLVED' }],
  ])('an internal note %s is BAD_USER_INPUT and writes nothing', async (_what, input) => {
    const before = await api.snapshot();
    const result = await update(agent, ticketId, input);
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)?.field).toMatch(/internal|input/);
    expect(await api.snapshot()).toEqual(before);
    expect(await jobCount(ticketId)).toBe(4);
  });

  test('a USER cannot write one, even on their own ticket', async () => {
    const result = await update(user, ticketId, { comment: 'Psst.', internal: true });
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
  });

  test('a USER searching a word that appears only in an internal note does not find the ticket; staff do', async () => {
    const search = 'query ($s: String) { tickets(filter: {search: $s}) { totalCount nodes { id } } }';
    const byUser = await api.ok<{ tickets: { totalCount: number; nodes: unknown[] } }>(
      search,
      { s: 'legacy' },
      user.token,
    );
    expect(byUser.tickets).toEqual({ totalCount: 0, nodes: [] });
    const prefix = await api.ok<{ tickets: { totalCount: number } }>(search, { s: 'leg' }, user.token);
    expect(prefix.tickets.totalCount).toBe(0);
    const byAgent = await api.ok<{ tickets: { nodes: { id: string }[] } }>(
      search,
      { s: 'legacy' },
      agent.token,
    );
    expect(byAgent.tickets.nodes).toEqual([{ id: ticketId }]);
    // The public comment is searchable by the author.
    const publicWord = await api.ok<{ tickets: { nodes: { id: string }[] } }>(
      search,
      { s: 'rounding' },
      user.token,
    );
    expect(publicWord.tickets.nodes).toEqual([{ id: ticketId }]);
  });
});
