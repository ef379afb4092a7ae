import { TestApi, errorCodes, type TestUser } from './support/test-server';

const STATS = `query ($projectId: ID, $from: DateTimeISO, $to: DateTimeISO) {
  stats(projectId: $projectId, from: $from, to: $to) {
    total open closed
    byStatus { key count } byProject { key count } byCategory { key count } byPriority { key count }
    byAuthor { key count } byAssignee { key count }
    perWeek { weekStart opened closed } perDay { day opened closed }
    medianHoursToClose
  }
}`;

interface Counted {
  key: string;
  count: number;
}
interface StatsView {
  total: number;
  open: number;
  closed: number;
  byStatus: Counted[];
  byProject: Counted[];
  byCategory: Counted[];
  byPriority: Counted[];
  byAuthor: Counted[];
  byAssignee: Counted[];
  perWeek: { weekStart: string; opened: number; closed: number }[];
  perDay: { day: string; opened: number; closed: number }[];
  medianHoursToClose: number | null;
}
const countOf = (list: Counted[], key: string) => list.find((entry) => entry.key === key)?.count ?? 0;

describe('stats', () => {
  let api: TestApi;
  let admin: TestUser;
  let agent: TestUser;
  let alice: TestUser;
  let bob: TestUser;
  let website: string;
  let mobile: string;

  beforeAll(async () => {
    api = await TestApi.start();
    ({ admin, agent } = await api.registerAdminAndAgent());
    alice = await api.register('alice');
    bob = await api.register('bob');
    website = await api.createProject(admin, 'Website');
    mobile = await api.createProject(admin, 'Mobile');
    const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
      api.ok(
        'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
        { id, input },
        who.token,
      );
    const a1 = await api.createTicket(alice, website, { category: 'BUG' });
    await api.createTicket(alice, mobile, { category: 'QUESTION' });
    const a3 = await api.createTicket(alice, website);
    await update(alice, a3, { status: 'CLOSED' });
    const b1 = await api.createTicket(bob, website, { category: 'BUG' });
    await update(agent, b1, { priority: 'URGENT', assigneeId: agent.id });
    await update(agent, a1, { status: 'RESOLVED' });
  });
  afterAll(() => api.stop());

  const stats = async (who: TestUser, variables: Record<string, unknown> = {}) =>
    (await api.ok<{ stats: StatsView }>(STATS, variables, who.token)).stats;

  test('a USER gets figures over their own tickets only, without per-author or per-assignee figures', async () => {
    const own = await stats(alice);
    expect(own).toMatchObject({ total: 3, open: 1, closed: 2, byAuthor: [], byAssignee: [] });
    expect(countOf(own.byStatus, 'CLOSED')).toBe(1);
    expect(countOf(own.byStatus, 'RESOLVED')).toBe(1);
    expect(countOf(own.byProject, 'Website')).toBe(2);
    expect(countOf(own.byProject, 'Mobile')).toBe(1);
    expect(countOf(own.byCategory, 'BUG')).toBe(1);
    expect(countOf(own.byPriority, 'URGENT')).toBe(0);
    expect((await stats(bob)).total).toBe(1);
  });

  test('staff get figures over every ticket, per author and per open assignee', async () => {
    const all = await stats(agent);
    expect(all).toMatchObject({ total: 4, open: 2, closed: 2 });
    expect(countOf(all.byAuthor, alice.username)).toBe(3);
    expect(countOf(all.byAuthor, bob.username)).toBe(1);
    expect(countOf(all.byAssignee, agent.username)).toBe(1);
    expect(countOf(all.byAssignee, '')).toBe(1);
    expect(countOf(all.byPriority, 'URGENT')).toBe(1);
    expect(all.medianHoursToClose).not.toBeNull();
    expect(all.medianHoursToClose).toBeGreaterThanOrEqual(0);
  });

  test('projectId narrows the figures; the series count the tickets opened and closed', async () => {
    const website_ = await stats(agent, { projectId: website });
    expect(website_.total).toBe(3);
    expect(website_.byProject.map((entry) => entry.key)).toEqual(['Website']);
    const all = await stats(agent);
    expect(all.perWeek.length).toBeGreaterThanOrEqual(26);
    expect(all.perDay.length).toBeGreaterThanOrEqual(30);
    expect(all.perWeek.reduce((sum, week) => sum + week.opened, 0)).toBe(4);
    expect(all.perWeek.reduce((sum, week) => sum + week.closed, 0)).toBe(2);
    expect(all.perDay.reduce((sum, day) => sum + day.opened, 0)).toBe(4);
    const weekStarts = all.perWeek.map((week) => Date.parse(week.weekStart));
    expect(weekStarts).toEqual([...weekStarts].sort((a, b) => a - b));
    expect(new Date(weekStarts[0]).getUTCDay()).toBe(1);
  });

  test('with nothing closed, medianHoursToClose is null', async () => {
    expect((await stats(bob)).medianHoursToClose).toBeNull();
  });

  test('refusals: anonymous, malformed project id, a period that ends before it starts', async () => {
    expect(errorCodes(await api.gql(STATS))).toEqual(['UNAUTHENTICATED']);
    const malformed = await api.gql(STATS, { projectId: 'abc' }, { token: agent.token });
    expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
    expect(malformed.errors![0].extensions?.invalidFields?.[0]?.field).toBe('projectId');
    const backwards = await api.gql(
      STATS,
      { from: '2025-02-01T00:00:00Z', to: '2025-01-01T00:00:00Z' },
      { token: agent.token },
    );
    expect(errorCodes(backwards)).toEqual(['BAD_USER_INPUT']);
  });
});
