import { CREATE_TICKET, TICKET, UPDATE_TICKET, type TicketView } from './support/operations';
import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let user: TestUser;
let projectId: string;
let otherProjectId: string;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  user = await api.register('user');
  projectId = await api.createProject(admin, 'Website');
  otherProjectId = await api.createProject(admin, 'Mobile');
});
afterAll(() => api.stop());

const invalidField = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.invalidFields?.[0];
const create = (who: TestUser, input: Record<string, unknown>) =>
  api.gql<{ createTicket: TicketView }>(
    CREATE_TICKET,
    { input: { projectId, title: 'Broken link', description: 'The footer link 404s.', ...input } },
    { token: who.token },
  );
const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.gql<{ updateTicket: TicketView }>(UPDATE_TICKET, { id, input }, { token: who.token });
const read = async (who: TestUser, id: string) =>
  (await api.ok<{ ticket: TicketView }>(TICKET, { id }, who.token)).ticket;

describe('a reporter (USER)', () => {
  let ticketId: string;

  test('drops a ticket on an open project: OPEN, NORMAL, OTHER by default, with the opening job', async () => {
    const result = await create(user, {});
    expect(result.errors).toBeUndefined();
    const ticket = result.data!.createTicket;
    ticketId = ticket.id;
    expect(ticket).toMatchObject({
      title: 'Broken link',
      description: 'The footer link 404s.',
      status: 'OPEN',
      priority: 'NORMAL',
      category: 'OTHER',
      closedAt: null,
      assignee: null,
      project: { id: projectId, name: 'Website' },
      author: { id: user.id, username: user.username, email: user.email },
    });
    expect(ticket.jobs).toHaveLength(1);
    expect(ticket.createdAt).toBe(ticket.updatedAt);
  });

  test('ticket ids are the ticket numbers, and the reporter opens it by number', async () => {
    expect(/^[1-9]\d*$/.test(ticketId)).toBe(true);
    expect((await read(user, ticketId)).id).toBe(ticketId);
  });

  test('cannot set a priority: it is ignored, not refused', async () => {
    const result = await create(user, { priority: 'URGENT', category: 'BUG' });
    expect(result.data!.createTicket).toMatchObject({ priority: 'NORMAL', category: 'BUG' });
  });

  test('edits title, description and category, and comments; each edit appends exactly one job', async () => {
    const edits: Record<string, unknown>[] = [
      { title: 'Broken footer link' },
      { description: 'The "About" link in the footer answers 404.' },
      { category: 'BUG' },
      { comment: 'Still happening today.' },
      { title: 'Footer link broken', category: 'QUESTION', comment: 'Two fields and a comment in one edit.' },
    ];
    let jobs = (await read(user, ticketId)).jobs.length;
    for (const input of edits) {
      const result = await update(user, ticketId, input);
      expect(result.errors).toBeUndefined();
      jobs += 1;
      expect(result.data!.updateTicket.jobs).toHaveLength(jobs);
    }
    expect(await read(user, ticketId)).toMatchObject({
      title: 'Footer link broken',
      description: 'The "About" link in the footer answers 404.',
      category: 'QUESTION',
    });
  });

  test('closes the ticket (CLOSED, closedAt set) and reopens it (OPEN, closedAt cleared)', async () => {
    const closed = (await update(user, ticketId, { status: 'CLOSED', comment: 'Withdrawn.' })).data!
      .updateTicket;
    expect(closed.status).toBe('CLOSED');
    expect(closed.closedAt).not.toBeNull();
    expect(Date.parse(closed.closedAt!)).toBeGreaterThanOrEqual(Date.parse(closed.createdAt));
    const reopened = (await update(user, ticketId, { status: 'OPEN' })).data!.updateTicket;
    expect(reopened.status).toBe('OPEN');
    expect(reopened.closedAt).toBeNull();
  });

  test.each([
    ['set IN_PROGRESS', { status: 'IN_PROGRESS' }],
    ['set RESOLVED', { status: 'RESOLVED' }],
    ['set WAITING', { status: 'WAITING' }],
    ['change the priority', { priority: 'URGENT' }],
    ['assign the ticket', { assigneeId: 'AGENT' }],
    ['move it to another project', { projectId: 'OTHER_PROJECT' }],
    ['write an internal note', { comment: 'secret', internal: true }],
  ])('cannot %s on their own ticket: FORBIDDEN, nothing written', async (_what, raw) => {
    const input = Object.fromEntries(
      Object.entries(raw).map(([key, value]) => [
        key,
        value === 'AGENT' ? agent.id : value === 'OTHER_PROJECT' ? otherProjectId : value,
      ]),
    );
    const before = await api.snapshot();
    const result = await update(user, ticketId, input);
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    expect(await api.snapshot()).toEqual(before);
  });

  test('asking for the status the ticket already has changes nothing: BAD_USER_INPUT', async () => {
    const result = await update(user, ticketId, { status: 'OPEN' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ rule: 'noChange' });
  });

  test('can reopen a ticket an agent resolved', async () => {
    await update(agent, ticketId, { status: 'RESOLVED', comment: 'Fixed the link.' });
    expect(errorCodes(await update(user, ticketId, { status: 'CLOSED' }))).toEqual(['FORBIDDEN']);
    const reopened = await update(user, ticketId, { status: 'OPEN', comment: 'Not fixed for me.' });
    expect(reopened.data!.updateTicket.status).toBe('OPEN');
  });
});

describe('an agent', () => {
  let ticketId: string;

  beforeAll(async () => {
    ticketId = (await create(user, { title: 'Slow search' })).data!.createTicket.id;
  });

  test('sets a priority when creating a ticket', async () => {
    expect((await create(agent, { priority: 'HIGH' })).data!.createTicket.priority).toBe('HIGH');
  });

  test("changes status, priority, category, project and assignee of anyone's ticket", async () => {
    const result = await update(agent, ticketId, {
      status: 'IN_PROGRESS',
      priority: 'URGENT',
      category: 'IMPROVEMENT',
      projectId: otherProjectId,
      assigneeId: agent.id,
    });
    expect(result.errors).toBeUndefined();
    expect(result.data!.updateTicket).toMatchObject({
      status: 'IN_PROGRESS',
      priority: 'URGENT',
      category: 'IMPROVEMENT',
      project: { id: otherProjectId, name: 'Mobile' },
      assignee: { id: agent.id, username: agent.username },
    });
  });

  test('assigns to an admin, then unassigns', async () => {
    expect(
      (await update(agent, ticketId, { assigneeId: admin.id })).data!.updateTicket.assignee,
    ).toMatchObject({ id: admin.id });
    expect((await update(agent, ticketId, { unassign: true })).data!.updateTicket.assignee).toBeNull();
  });

  test.each([
    ['assign to a USER', () => ({ assigneeId: user.id }), 'BAD_USER_INPUT', 'assigneeId'],
    [
      'assign and unassign at once',
      () => ({ assigneeId: agent.id, unassign: true }),
      'BAD_USER_INPUT',
      'unassign',
    ],
    ['assign to an unknown user', () => ({ assigneeId: '999999' }), 'NOT_FOUND', undefined],
    ['move to an unknown project', () => ({ projectId: '999999' }), 'NOT_FOUND', undefined],
    ['use a malformed assignee id', () => ({ assigneeId: 'abc' }), 'BAD_USER_INPUT', 'assigneeId'],
    ['use a malformed project id', () => ({ projectId: '-1' }), 'BAD_USER_INPUT', 'projectId'],
  ])('cannot %s, and nothing is written', async (_what, input, code, field) => {
    const before = await api.snapshot();
    const result = await update(agent, ticketId, input());
    expect(errorCodes(result)).toEqual([code]);
    if (field) expect(invalidField(result)).toMatchObject({ field });
    expect(await api.snapshot()).toEqual(before);
  });

  test('cannot move a ticket to an archived project', async () => {
    const archived = await api.createProject(admin, 'Archived one');
    await api.ok(
      'mutation ($id: ID!) { updateProject(id: $id, input: {archived: true}) { id } }',
      { id: archived },
      admin.token,
    );
    const result = await update(agent, ticketId, { projectId: archived });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field: 'projectId', rule: 'archived' });
  });

  test('reads and edits tickets in any project; an admin too', async () => {
    expect((await read(agent, ticketId)).author.username).toBe(user.username);
    expect(
      (await update(admin, ticketId, { status: 'WAITING', comment: 'Which browser?' })).data!.updateTicket
        .status,
    ).toBe('WAITING');
  });
});

describe('lengths at the limits', () => {
  test('title 3 and 200, description 1 and 20,000, comment 20,000 characters are accepted', async () => {
    const short = await create(user, { title: 'abc', description: 'x' });
    expect(short.errors).toBeUndefined();
    const long = await create(user, { title: 't'.repeat(200), description: 'd'.repeat(20_000) });
    expect(long.errors).toBeUndefined();
    expect(long.data!.createTicket.description).toHaveLength(20_000);
    const comment = await update(user, long.data!.createTicket.id, { comment: 'c'.repeat(20_000) });
    expect(comment.data!.updateTicket.jobs.at(-1)!.comment).toHaveLength(20_000);
  });

  test.each([
    ['title', { title: 'ab' }],
    ['title', { title: 't'.repeat(201) }],
    ['description', { description: '' }],
    ['description', { description: 'd'.repeat(20_001) }],
    ['comment', { comment: 'c'.repeat(20_001) }],
  ])('an edit with %s out of bounds is BAD_USER_INPUT and writes nothing', async (field, input) => {
    const id = await api.createTicket(user, projectId);
    const before = await api.snapshot();
    const result = await update(user, id, input);
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field });
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('anonymous callers', () => {
  test.each([
    ['read a ticket', TICKET, { id: '1' }],
    ['list tickets', '{ tickets { totalCount } }', {}],
    [
      'create a ticket',
      CREATE_TICKET,
      { input: { projectId: '1', title: 'Anonymous', description: 'Hello' } },
    ],
    ['update a ticket', UPDATE_TICKET, { id: '1', input: { comment: 'Hello' } }],
  ])('cannot %s', async (_what, query, variables) => {
    const before = await api.snapshot();
    const result = await api.gql(query, variables);
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(await api.snapshot()).toEqual(before);
  });
});
