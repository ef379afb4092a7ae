import { CREATE_PROJECT, UPDATE_PROJECT } from './support/operations';
import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let user: TestUser;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  user = await api.register('user');
});
afterAll(() => api.stop());

const invalidField = (result: GraphQLResponse) => result.errors?.[0]?.extensions?.invalidFields?.[0];
const create = (input: Record<string, unknown>, token = admin.token) =>
  api.gql<{ createProject: { id: string; name: string; description: string; archived: boolean } }>(
    CREATE_PROJECT,
    { input },
    { token },
  );
const update = (id: string, input: Record<string, unknown>, token = admin.token) =>
  api.gql<{ updateProject: { id: string; name: string; description: string; archived: boolean } }>(
    UPDATE_PROJECT,
    { id, input },
    { token },
  );
const PROJECT = 'query ($id: ID!) { project(id: $id) { id name archived } }';
const PROJECTS = 'query ($all: Boolean) { projects(includeArchived: $all) { name archived } }';

describe('an admin manages projects', () => {
  let projectId: string;

  test('creates a project with a name and a description', async () => {
    const result = await create({ name: '  Website  ', description: 'The public site' });
    expect(result.errors).toBeUndefined();
    expect(result.data!.createProject).toMatchObject({
      name: 'Website',
      description: 'The public site',
      archived: false,
    });
    projectId = result.data!.createProject.id;
  });

  test('renames it, describes it, archives it and brings it back', async () => {
    expect((await update(projectId, { name: 'Web site' })).data!.updateProject).toMatchObject({
      name: 'Web site',
    });
    expect((await update(projectId, { description: 'Public web site' })).data!.updateProject).toMatchObject({
      name: 'Web site',
      description: 'Public web site',
    });
    expect((await update(projectId, { archived: true })).data!.updateProject.archived).toBe(true);
    expect((await update(projectId, { archived: false })).data!.updateProject.archived).toBe(false);
    // A change of case only is a rename of the same project, not a clash with itself.
    expect((await update(projectId, { name: 'WEB SITE' })).data!.updateProject.name).toBe('WEB SITE');
  });

  test.each([
    ['an agent', () => agent.token, 'FORBIDDEN'],
    ['a user', () => user.token, 'FORBIDDEN'],
    ['an anonymous caller', () => '', 'UNAUTHENTICATED'],
  ])('%s can neither create nor change a project', async (_who, token, code) => {
    const before = await api.snapshot();
    expect(errorCodes(await create({ name: 'Not mine' }, token()))).toEqual([code]);
    expect(errorCodes(await update(projectId, { name: 'Hijacked', archived: true }, token()))).toEqual([
      code,
    ]);
    expect(await api.snapshot()).toEqual(before);
    const project = await api.ok<{ project: { name: string; archived: boolean } }>(
      PROJECT,
      { id: projectId },
      admin.token,
    );
    expect(project.project).toMatchObject({ name: 'WEB SITE', archived: false });
  });

  test.each([
    ['a 1-character name', { name: 'x' }, 'name', 'length'],
    ['an 81-character name', { name: 'x'.repeat(81) }, 'name', 'length'],
    ['a blank name', { name: '     ' }, 'name', 'required'],
    ['a name of 1 character once trimmed', { name: '   x   ' }, 'name', 'length'],
    ['a name already used, in another case', { name: 'web site' }, 'name', 'unique'],
    [
      'a description over 2000 characters',
      { name: 'Long one', description: 'd'.repeat(2001) },
      'description',
      'length',
    ],
  ])('refuses %s with BAD_USER_INPUT naming the field', async (_name, input, field, rule) => {
    const before = await api.snapshot();
    const result = await create(input);
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field, rule });
    expect(await api.snapshot()).toEqual(before);
  });

  test('a name of exactly 2 and of exactly 80 characters is accepted', async () => {
    expect((await create({ name: 'QA' })).errors).toBeUndefined();
    expect((await create({ name: 'n'.repeat(80) })).errors).toBeUndefined();
  });

  test("renaming onto another project's name (any case) is refused", async () => {
    const result = await update(projectId, { name: 'qa' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(result)).toMatchObject({ field: 'name', rule: 'unique' });
  });

  test('an unknown project is NOT_FOUND; a malformed id is BAD_USER_INPUT', async () => {
    expect(errorCodes(await update('999999', { name: 'Ghost' }))).toEqual(['NOT_FOUND']);
    const malformed = await update('1.5', { name: 'Ghost' });
    expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(malformed)).toMatchObject({ field: 'id' });
  });
});

describe('archived projects', () => {
  let archivedId: string;
  let openId: string;

  beforeAll(async () => {
    openId = await api.createProject(admin, 'Mobile app');
    archivedId = await api.createProject(admin, 'Old intranet');
    await update(archivedId, { archived: true });
  });

  test('everyone signed in sees the open projects; archived ones only an admin who asks', async () => {
    for (const viewer of [user, agent, admin]) {
      const names = (await api.ok<{ projects: { name: string }[] }>(PROJECTS, {}, viewer.token)).projects.map(
        (p) => p.name,
      );
      expect(names).toContain('Mobile app');
      expect(names).not.toContain('Old intranet');
    }
    const all = await api.ok<{ projects: { name: string; archived: boolean }[] }>(
      PROJECTS,
      { all: true },
      admin.token,
    );
    expect(all.projects).toContainEqual({ name: 'Old intranet', archived: true });
    expect(errorCodes(await api.gql(PROJECTS, { all: true }, { token: user.token }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await api.gql(PROJECTS, {}, {}))).toEqual(['UNAUTHENTICATED']);
  });

  test('a user cannot open an archived project: answered like an unknown one', async () => {
    const archived = await api.gql(PROJECT, { id: archivedId }, { token: user.token });
    const unknown = await api.gql(PROJECT, { id: '999999' }, { token: user.token });
    expect(errorCodes(archived)).toEqual(['NOT_FOUND']);
    expect(archived.errors![0].message.replace(archivedId, 'N')).toBe(
      unknown.errors![0].message.replace('999999', 'N'),
    );
    expect(
      (await api.ok<{ project: { archived: boolean } }>(PROJECT, { id: archivedId }, agent.token)).project
        .archived,
    ).toBe(true);
  });

  test('no ticket can be dropped on an archived project', async () => {
    const before = await api.snapshot();
    const input = { projectId: archivedId, title: 'Still broken', description: 'Please fix.' };
    const mutation = 'mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }';
    expect(errorCodes(await api.gql(mutation, { input }, { token: user.token }))).toEqual(['NOT_FOUND']);
    const byAdmin = await api.gql(mutation, { input }, { token: admin.token });
    expect(errorCodes(byAdmin)).toEqual(['BAD_USER_INPUT']);
    expect(invalidField(byAdmin)).toMatchObject({ field: 'projectId', rule: 'archived' });
    expect(await api.snapshot()).toEqual(before);
    expect(
      (await api.gql(mutation, { input: { ...input, projectId: openId } }, { token: user.token })).errors,
    ).toBeUndefined();
  });
});

describe('an archived project seen through a ticket', () => {
  const PROJECT_FIELDS = 'id name description archived';
  let projectId: string;
  let ticketId: string;

  beforeAll(async () => {
    projectId = (await create({ name: 'Legacy portal', description: 'Retired: staff notes only' })).data!
      .createProject.id;
    ticketId = await api.createTicket(user, projectId);
    await update(projectId, { archived: true });
  });

  test("a USER sees the name and archived flag of their own ticket's project, not its description", async () => {
    const seen = await api.ok<{
      ticket: { project: Record<string, unknown>; jobs: { ticket: { project: Record<string, unknown> } }[] };
      tickets: { nodes: { project: Record<string, unknown> }[] };
    }>(
      `query ($id: ID!) {
        ticket(id: $id) { project { ${PROJECT_FIELDS} } jobs { ticket { project { ${PROJECT_FIELDS} } } } }
        tickets(filter: { projectId: "${projectId}" }) { nodes { project { ${PROJECT_FIELDS} } } }
      }`,
      { id: ticketId },
      user.token,
    );
    const expected = { id: projectId, name: 'Legacy portal', description: '', archived: true };
    expect(seen.ticket.project).toEqual(expected);
    expect(seen.ticket.jobs[0].ticket.project).toEqual(expected);
    expect(seen.tickets.nodes.map((node) => node.project)).toEqual([expected]);
  });

  test('the project itself stays NOT_FOUND for that USER', async () => {
    expect(errorCodes(await api.gql(PROJECT, { id: projectId }, { token: user.token }))).toEqual([
      'NOT_FOUND',
    ]);
  });

  test('staff still read the description, through the ticket and directly', async () => {
    for (const viewer of [agent, admin]) {
      const seen = await api.ok<{
        ticket: { project: { description: string } };
        project: { description: string };
      }>(
        'query ($id: ID!, $projectId: ID!) { ticket(id: $id) { project { description } } project(id: $projectId) { description } }',
        { id: ticketId, projectId },
        viewer.token,
      );
      expect(seen.ticket.project.description).toBe('Retired: staff notes only');
      expect(seen.project.description).toBe('Retired: staff notes only');
    }
  });

  test('an active project keeps its description for the USER', async () => {
    await update(projectId, { archived: false });
    const seen = await api.ok<{ ticket: { project: { description: string } } }>(
      'query ($id: ID!) { ticket(id: $id) { project { description } } }',
      { id: ticketId },
      user.token,
    );
    expect(seen.ticket.project.description).toBe('Retired: staff notes only');
    await update(projectId, { archived: true });
  });
});

describe('openTicketCount', () => {
  test('counts the open tickets the caller may see: a user only their own', async () => {
    const projectId = await api.createProject(admin, 'Counting');
    await api.createTicket(user, projectId);
    await api.createTicket(agent, projectId);
    await api.createTicket(admin, projectId);
    const closed = await api.createTicket(user, projectId);
    await api.ok(
      'mutation ($id: ID!) { updateTicket(id: $id, input: {status: CLOSED}) { id } }',
      { id: closed },
      user.token,
    );

    const count = async (viewer: TestUser) =>
      (
        await api.ok<{ project: { openTicketCount: number } }>(
          'query ($id: ID!) { project(id: $id) { openTicketCount } }',
          { id: projectId },
          viewer.token,
        )
      ).project.openTicketCount;
    expect(await count(user)).toBe(1);
    expect(await count(agent)).toBe(3);
    expect(await count(admin)).toBe(3);
    const listed = await api.ok<{ projects: { name: string; openTicketCount: number }[] }>(
      '{ projects { name openTicketCount } }',
      {},
      user.token,
    );
    expect(listed.projects.find((p) => p.name === 'Counting')!.openTicketCount).toBe(1);
  });
});
