import { TICKET, TICKETS } from './support/operations';
import { postRaw, twoRuns } from './support/compiled-runs';
import { type RawResponse, TestApi, type TestUser } from './support/test-server';

/*
 * Operations run through graphql-js on a document's first run and as compiled code from its second
 * (compiled-execution.ts). The rest of the suite runs compiled from the first run; here the server has
 * its default, and each answer of the second run must be byte for byte the first one's: data, errors,
 * codes, paths, locations and HTTP status.
 */

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let reporter: TestUser;
let other: TestUser;
let ticketId: string;

beforeAll(async () => {
  api = await TestApi.start({}, { compileFromFirstRun: false });
  ({ admin, agent } = await api.registerAdminAndAgent());
  reporter = await api.register('reporter');
  other = await api.register('other');
  const projectId = await api.createProject(admin);
  ticketId = await api.createTicket(reporter, projectId, { title: 'Export **fails** on big files' });
  await api.ok(
    `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
    { id: ticketId, input: { comment: 'Looking into it', status: 'IN_PROGRESS', assigneeId: agent.id } },
    agent.token,
  );
  await api.ok(
    `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
    { id: ticketId, input: { comment: 'Staff only: the disk is full', internal: true } },
    agent.token,
  );
});

afterAll(async () => {
  await api?.stop();
});

const post = (query: string, variables: Record<string, unknown>, token?: string) =>
  postRaw(api, { query, variables }, token);

/** The same request twice: the first runs in graphql-js, the second compiled; both answers. */
const twice = (query: string, variables: Record<string, unknown>, token?: string) =>
  twoRuns(api, { query, variables }, token);

function expectSameAnswer({ first, second }: { first: RawResponse; second: RawResponse }): void {
  expect(second.status).toBe(first.status);
  expect(second.text).toBe(first.text);
}

test('a ticket with its jobs, as staff and as its reporter: the second run is compiled and answers the same', async () => {
  for (const user of [agent, reporter]) {
    const runs = await twice(TICKET, { id: ticketId }, user.token);
    // The document is compiled once, whoever sends it: the reporter's first run is compiled already.
    expect(runs).toMatchObject({ firstCompiled: user === reporter, secondCompiled: true });
    expectSameAnswer(runs);
    expect(runs.first.status).toBe(200);
    const jobs = runs.second.json.data.ticket.jobs as { internal: boolean }[];
    // The internal note stays out of the reporter's answer in compiled code too.
    expect(jobs.some((job) => job.internal)).toBe(user === agent);
  }
});

test('a list page, filtered, with its count and cursors', async () => {
  const runs = await twice(TICKETS, { first: 10, filter: { status: 'IN_PROGRESS' } }, admin.token);
  expect(runs.secondCompiled).toBe(true);
  expectSameAnswer(runs);
  expect(runs.second.json.data.tickets.totalCount).toBe(1);
});

test('domain errors (NOT_FOUND, UNAUTHENTICATED) keep their code, message, path and locations', async () => {
  const notFound = await twice(TICKET, { id: ticketId }, other.token);
  expect(notFound.secondCompiled).toBe(true);
  expectSameAnswer(notFound);
  expect(notFound.second.json.errors[0]).toMatchObject({
    extensions: { code: 'NOT_FOUND' },
    path: ['ticket'],
    locations: [{ line: 1, column: 20 }],
  });

  const anonymous = await twice(TICKET, { id: ticketId });
  expectSameAnswer(anonymous);
  expect(anonymous.second.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
});

test('mutations stay with graphql-js: after a refused one, none of the next runs, and the refusal names its field', async () => {
  const create = `mutation ($input: CreateTicketInput!, $valid: CreateTicketInput!) {
    refused: createTicket(input: $input) { id }
    next: createTicket(input: $valid) { id }
  }`;
  const before = await api.snapshot();
  const runs = await twice(
    create,
    {
      input: { projectId: '1', title: '   ', description: 'x' },
      valid: { projectId: '1', title: 'A valid one', description: 'x' },
    },
    reporter.token,
  );
  expect(runs).toMatchObject({ firstCompiled: false, secondCompiled: false });
  expectSameAnswer(runs);
  expect(runs.second.json.data).toBeNull();
  expect(runs.second.json.errors).toHaveLength(1);
  expect(runs.second.json.errors[0].extensions).toMatchObject({
    code: 'BAD_USER_INPUT',
    invalidFields: [expect.objectContaining({ field: 'title' })],
  });
  expect(await api.snapshot()).toEqual(before);
});

test('variables that do not coerce are refused by graphql-js as before: 400, BAD_USER_INPUT, never compiled', async () => {
  const runs = await twice(TICKETS, { first: 'ten' }, admin.token);
  expect(runs).toMatchObject({ firstCompiled: false, secondCompiled: false });
  expectSameAnswer(runs);
  expect(runs.second.status).toBe(400);
  expect(runs.second.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
});

test('a document seen once is never compiled: a stream of one-off queries costs no compiling', async () => {
  const before = { ...api.server.operations.runs };
  for (let n = 0; n < 5; n += 1) {
    const answer = await post(`{ me { id } n${n}: me { username } }`, {}, admin.token);
    expect(answer.json.errors).toBeUndefined();
  }
  expect(api.server.operations.runs.compiled).toBe(before.compiled);
  expect(api.server.operations.runs.interpreted).toBe(before.interpreted + 5);
});
