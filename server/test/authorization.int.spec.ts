import { TICKET, TICKETS, UPDATE_TICKET, type TicketsView } from './support/operations';
import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let projectId: string;
let aliceTicket: string;
let bobTicket: string;
const UNKNOWN = '987654';

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  projectId = await api.createProject(admin, 'Website');
  aliceTicket = await api.createTicket(alice, projectId, {
    title: 'Payroll export wrong',
    description: 'Salaries of the marketing team.',
  });
  bobTicket = await api.createTicket(bob, projectId, {
    title: 'Printer offline',
    description: 'Third floor.',
  });
  await api.ok(
    UPDATE_TICKET,
    { id: aliceTicket, input: { assigneeId: agent.id, comment: 'Confidential figures attached.' } },
    agent.token,
  );
});
afterAll(() => api.stop());

/** The answer with the asked id replaced, so that "someone else's" and "does not exist" can be compared. */
function normalized(result: GraphQLResponse, id: string) {
  const errors = result.errors?.map((error) => ({
    ...error,
    message: error.message.replace(new RegExp(`\\b${id}\\b`, 'g'), '<id>'),
  }));
  return { status: result.status, data: result.data ?? null, errors };
}

describe("a USER cannot read another user's ticket", () => {
  test('ticket(id) answers exactly as for a ticket that does not exist', async () => {
    const other = await api.gql(TICKET, { id: aliceTicket }, { token: bob.token });
    const missing = await api.gql(TICKET, { id: UNKNOWN }, { token: bob.token });
    expect(errorCodes(other)).toEqual(['NOT_FOUND']);
    expect(normalized(other, aliceTicket)).toEqual(normalized(missing, UNKNOWN));
    expect(JSON.stringify(other)).not.toMatch(/Payroll|marketing/);
  });

  test('an id given as an Int literal is no way around it', async () => {
    const result = await api.gql(`{ ticket(id: ${aliceTicket}) { title } }`, {}, { token: bob.token });
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
  });

  test('tickets(filter: {authorId}) with another author returns nothing, totalCount 0', async () => {
    const page = await api.ok<TicketsView>(TICKETS, { filter: { authorId: alice.id } }, bob.token);
    expect(page.tickets).toMatchObject({
      totalCount: 0,
      nodes: [],
      edges: [],
      pageInfo: { hasNextPage: false },
    });
  });

  test("filters that match only the other user's ticket (assignee, project, search) find nothing", async () => {
    for (const filter of [
      { assigneeId: agent.id },
      { unassigned: false },
      { search: 'payroll' },
      { search: 'confidential' },
      { projectId, search: 'marketing' },
    ]) {
      const page = await api.ok<TicketsView>(TICKETS, { filter }, bob.token);
      expect({ filter, count: page.tickets.totalCount, nodes: page.tickets.nodes }).toEqual({
        filter,
        count: 0,
        nodes: [],
      });
    }
    // While staff see it.
    const staff = await api.ok<TicketsView>(TICKETS, { filter: { search: 'payroll' } }, agent.token);
    expect(staff.tickets.nodes).toEqual([{ id: aliceTicket }]);
  });

  test('their own list holds only their own ticket', async () => {
    const page = await api.ok<TicketsView>(TICKETS, {}, bob.token);
    expect(page.tickets.nodes).toEqual([{ id: bobTicket }]);
    expect(page.tickets.totalCount).toBe(1);
  });

  test('project.openTicketCount counts only their own open tickets', async () => {
    const query = 'query ($id: ID!) { project(id: $id) { openTicketCount } projects { id openTicketCount } }';
    const asBob = await api.ok<{
      project: { openTicketCount: number };
      projects: { id: string; openTicketCount: number }[];
    }>(query, { id: projectId }, bob.token);
    expect(asBob.project.openTicketCount).toBe(1);
    expect(asBob.projects.find((p) => p.id === projectId)!.openTicketCount).toBe(1);
    const asAgent = await api.ok<{ project: { openTicketCount: number } }>(
      query,
      { id: projectId },
      agent.token,
    );
    expect(asAgent.project.openTicketCount).toBe(2);
  });
});

describe("a USER cannot change another user's ticket", () => {
  test.each([
    ['a comment', { comment: 'Hello from Bob' }],
    ['a title', { title: 'Hijacked title' }],
    ['closing it', { status: 'CLOSED' }],
    ['a staff-only field', { priority: 'URGENT' }],
    ['an internal note', { comment: 'Psst', internal: true }],
    ['an assignment', { assigneeId: 'BOB' }],
    ['assign and unassign together', { assigneeId: 'BOB', unassign: true }],
    ['no change at all', {}],
  ])('%s: answered exactly as for a missing ticket, and nothing is written', async (_what, raw) => {
    const input = Object.fromEntries(
      Object.entries(raw).map(([key, value]) => [key, value === 'BOB' ? bob.id : value]),
    );
    const before = await api.snapshot();
    const other = await api.gql(UPDATE_TICKET, { id: aliceTicket, input }, { token: bob.token });
    const missing = await api.gql(UPDATE_TICKET, { id: UNKNOWN, input }, { token: bob.token });
    expect(errorCodes(other)).toEqual(['NOT_FOUND']);
    expect(normalized(other, aliceTicket)).toEqual(normalized(missing, UNKNOWN));
    expect(await api.snapshot()).toEqual(before);
  });

  test("the other user's ticket reads the same afterwards", async () => {
    const ticket = await api.ok<{
      ticket: { title: string; status: string; jobs: { comment: string | null }[] };
    }>(TICKET, { id: aliceTicket }, alice.token);
    expect(ticket.ticket).toMatchObject({ title: 'Payroll export wrong', status: 'OPEN' });
    expect(ticket.ticket.jobs.map((job) => job.comment)).toEqual([null, 'Confidential figures attached.']);
  });
});

describe('what a USER sees of staff', () => {
  test('the assignee of their own ticket is shown without email or notification preference', async () => {
    await api.ok(UPDATE_TICKET, { id: bobTicket, input: { assigneeId: agent.id } }, admin.token);
    const data = await api.ok<{
      ticket: { assignee: unknown; jobs: { author: { email: string | null } }[] };
    }>(
      'query ($id: ID!) { ticket(id: $id) { assignee { username email notifyByEmail } jobs { author { email } } } }',
      { id: bobTicket },
      bob.token,
    );
    expect(data.ticket.assignee).toEqual({ username: agent.username, email: null, notifyByEmail: null });
    expect(data.ticket.jobs.map((job) => job.author.email)).toEqual([bob.email, null]);
  });
});

describe('staff see everything', () => {
  test.each([
    ['an agent', () => agent],
    ['an admin', () => admin],
  ])('%s reads and lists every ticket', async (_who, who) => {
    expect((await api.gql(TICKET, { id: aliceTicket }, { token: who().token })).errors).toBeUndefined();
    const page = await api.ok<TicketsView>(TICKETS, { filter: { authorId: alice.id } }, who().token);
    expect(page.tickets.nodes).toEqual([{ id: aliceTicket }]);
  });
});
