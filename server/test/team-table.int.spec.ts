import { DAY_MS, HOUR_MS, ManualClock } from '../src/clock';
import { TestApi, type TestUser, errorCodes } from './support/test-server';

/**
 * The team table (Stats.team, issue 13): tickets opened, assigned, reassigned, resolved and reopened through
 * the API at set times, with every expected figure worked out by hand below.
 */

// Registering accounts hashes passwords: more than 5 s on a busy machine.
jest.setTimeout(60_000);

const now = new Date('2026-03-18T15:30:00Z').getTime();
const ago = (days: number, hours = 0) => now - days * DAY_MS + hours * HOUR_MS;

const TEAM = `query ($projectId: ID, $from: DateTimeISO, $to: DateTimeISO) {
  stats(projectId: $projectId, from: $from, to: $to) {
    team { userId username openAssigned resolved medianHoursToClose oldestOpenTicketId oldestOpenCreatedAt }
  }
}`;
const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;
const DEACTIVATE = `mutation ($userId: ID!) { setUserDeactivated(userId: $userId, deactivated: true) { id } }`;

interface Member {
  userId: string;
  username: string;
  openAssigned: number;
  resolved: number;
  medianHoursToClose: number | null;
  oldestOpenTicketId: string | null;
  oldestOpenCreatedAt: string | null;
}

type Who = 'admin' | 'agent' | 'bea' | 'cid' | 'dan' | 'eve' | 'alice';
type Project = 'Web' | 'App';

let api: TestApi;
let clock: ManualClock;
const people = {} as Record<Who, TestUser>;
const projects = {} as Record<Project, string>;
/** Ticket ids by their name in the comments below (T1…T14). */
const tickets: Record<string, string> = {};

/** Sets the clock, then runs one step as it would have happened then. */
async function at<T>(time: number, step: () => Promise<T>): Promise<T> {
  clock.set(time);
  return step();
}

async function open(name: string, project: Project, createdAt: number): Promise<void> {
  tickets[name] = await at(createdAt, () => api.createTicket(people.alice, projects[project]));
}

async function update(name: string, by: Who, time: number, input: Record<string, unknown>): Promise<void> {
  await at(time, () => api.ok(UPDATE, { id: tickets[name], input }, people[by].token));
}

const assign = (name: string, to: Who, time: number) =>
  update(name, 'agent', time, { assigneeId: people[to].id });

/*
 * now = 2026-03-18 15:30 UTC; the period is the last 30 days unless a test says otherwise.
 *
 * agent: T1 open (10 d), T2 in progress (40 d: the oldest), T3 resolved after 4 h, T4 closed after 10 h,
 *   T5 resolved after 25 d but 35 days ago (before the period), T10 resolved after 1 h, reopened, resolved
 *   again 2 days ago (23 d = 552 h after its opening: it counts once, by its last closing).
 *   In the period: 3 resolved (4, 10, 552 h): median 10 h. All time: 4, 10, 552, 600 h: median 281 h.
 * bea: T6 open and T7 waiting (3 d), T11 resolved 14 days ago and reopened yesterday (open again: the oldest,
 *   15 d, and no longer resolved), T8 resolved after 2 h, T9 assigned to agent then reassigned to bea, who
 *   resolved it after 6 h (hers, not agent's). Resolved: 2 (2, 6 h): median 4 h.
 * admin: T14 closed after 8 h. cid: an AGENT with nothing (a row of zeros). dan: an AGENT deactivated while
 *   holding T12 (open, 50 d): listed, his work must not vanish. eve: an AGENT deactivated with nothing: not
 *   listed. T13: open, unassigned: nobody's. alice (USER) reports every ticket.
 * Web: T1, T3, T6, T8, T9, T11, T14. App: T2, T4, T5, T7, T10, T12, T13.
 */
beforeAll(async () => {
  clock = new ManualClock(now);
  api = await TestApi.start({}, { clock });
  const { admin, agent } = await api.registerAdminAndAgent();
  Object.assign(people, { admin, agent });
  for (const who of ['bea', 'cid', 'dan', 'eve'] as const) {
    people[who] = await api.register(who);
    await api.setRole(admin, people[who], 'AGENT');
  }
  people.alice = await api.register('alice');
  projects.Web = await api.createProject(admin, 'Web');
  projects.App = await api.createProject(admin, 'App');

  await open('T1', 'Web', ago(10));
  await assign('T1', 'agent', ago(10, 1));
  await open('T2', 'App', ago(40));
  await assign('T2', 'agent', ago(40, 1));
  await update('T2', 'agent', ago(40, 2), { status: 'IN_PROGRESS' });
  await open('T3', 'Web', ago(5));
  await assign('T3', 'agent', ago(5, 1));
  await update('T3', 'agent', ago(5, 4), { status: 'RESOLVED' });
  await open('T4', 'App', ago(20));
  await assign('T4', 'agent', ago(20, 1));
  await update('T4', 'agent', ago(20, 10), { status: 'CLOSED' });
  await open('T5', 'App', ago(60));
  await assign('T5', 'agent', ago(60, 1));
  await update('T5', 'agent', ago(35), { status: 'RESOLVED' });
  await open('T6', 'Web', ago(3));
  await assign('T6', 'bea', ago(3, 1));
  await open('T7', 'App', ago(3));
  await assign('T7', 'bea', ago(3, 1));
  await update('T7', 'bea', ago(3, 2), { status: 'WAITING' });
  await open('T8', 'Web', ago(10));
  await assign('T8', 'bea', ago(10, 1));
  await update('T8', 'bea', ago(10, 2), { status: 'RESOLVED' });
  await open('T9', 'Web', ago(8));
  await assign('T9', 'agent', ago(8, 1));
  await assign('T9', 'bea', ago(8, 3));
  await update('T9', 'bea', ago(8, 6), { status: 'RESOLVED' });
  await open('T10', 'App', ago(25));
  await assign('T10', 'agent', ago(25, 0.5));
  await update('T10', 'agent', ago(25, 1), { status: 'RESOLVED' });
  await update('T10', 'agent', ago(24), { status: 'OPEN' });
  await update('T10', 'agent', ago(2), { status: 'RESOLVED' });
  await open('T11', 'Web', ago(15));
  await assign('T11', 'bea', ago(15, 1));
  await update('T11', 'bea', ago(14), { status: 'RESOLVED' });
  await update('T11', 'bea', ago(1), { status: 'OPEN' });
  await open('T12', 'App', ago(50));
  await assign('T12', 'dan', ago(50, 1));
  await open('T13', 'App', ago(1));
  await open('T14', 'Web', ago(4));
  await assign('T14', 'admin', ago(4, 1));
  await update('T14', 'admin', ago(4, 8), { status: 'CLOSED' });
  clock.set(now);
  for (const who of ['dan', 'eve'] as const) {
    await api.ok(DEACTIVATE, { userId: people[who].id }, people.admin.token);
  }
});

afterAll(() => api?.stop());

async function team(who: Who, variables: Record<string, unknown> = {}): Promise<Member[]> {
  return (await api.ok<{ stats: { team: Member[] } }>(TEAM, variables, people[who].token)).stats.team;
}

const lastMonth = { from: new Date(ago(30)).toISOString() };

/** A row as [who, open, resolved, median, oldest ticket's name, its opening], in the table's order. */
function rows(members: Member[]): unknown[][] {
  const byId = new Map(Object.entries(people).map(([who, user]) => [user.id, who]));
  const ticketName = new Map(Object.entries(tickets).map(([name, id]) => [id, name]));
  return members.map((member) => {
    expect(member.username).toBe(people[byId.get(member.userId) as Who].username);
    return [
      byId.get(member.userId),
      member.openAssigned,
      member.resolved,
      member.medianHoursToClose,
      member.oldestOpenTicketId && ticketName.get(member.oldestOpenTicketId),
      member.oldestOpenCreatedAt,
    ];
  });
}
const iso = (time: number) => new Date(time).toISOString();

describe('Stats.team', () => {
  test('staff: per member, open work now, resolved in the period and its median, the oldest open ticket', async () => {
    const expected = [
      ['bea', 3, 2, 4, 'T11', iso(ago(15))],
      ['agent', 2, 3, 10, 'T2', iso(ago(40))],
      ['dan', 1, 0, null, 'T12', iso(ago(50))],
      ['admin', 0, 1, 8, null, null],
      ['cid', 0, 0, null, null, null],
    ];
    expect(rows(await team('agent', lastMonth))).toEqual(expected);
    expect(rows(await team('admin', lastMonth))).toEqual(expected);
  });

  test('without a period, every closing counts (agent: 4 10 552 600 h, the mean of the middle two)', async () => {
    const all = rows(await team('agent'));
    expect(all.find((row) => row[0] === 'agent')).toEqual(['agent', 2, 4, 281, 'T2', iso(ago(40))]);
    expect(all.find((row) => row[0] === 'bea')).toEqual(['bea', 3, 2, 4, 'T11', iso(ago(15))]);
  });

  test('a period ending before some closings leaves them out (9 to 3 days ago)', async () => {
    const period = { from: new Date(ago(9)).toISOString(), to: new Date(ago(3)).toISOString() };
    // agent: T3 only (4 h; T10's closing is 2 days ago); bea: T9 (6 h; T8 closed 10 days ago); admin: T14.
    expect(rows(await team('agent', period))).toEqual([
      ['bea', 3, 1, 6, 'T11', iso(ago(15))],
      ['agent', 2, 1, 4, 'T2', iso(ago(40))],
      ['dan', 1, 0, null, 'T12', iso(ago(50))],
      ['admin', 0, 1, 8, null, null],
      ['cid', 0, 0, null, null, null],
    ]);
  });

  test('one project: open work and closings in it only; a deactivated member with nothing there is left out', async () => {
    expect(rows(await team('agent', { ...lastMonth, projectId: projects.Web }))).toEqual([
      ['bea', 2, 2, 4, 'T11', iso(ago(15))],
      ['agent', 1, 1, 4, 'T1', iso(ago(10))],
      ['admin', 0, 1, 8, null, null],
      ['cid', 0, 0, null, null, null],
    ]);
    expect(rows(await team('agent', { ...lastMonth, projectId: '999999' }))).toEqual([
      ['admin', 0, 0, null, null, null],
      ['agent', 0, 0, null, null, null],
      ['bea', 0, 0, null, null, null],
      ['cid', 0, 0, null, null, null],
    ]);
  });

  test('a USER gets an empty table', async () => {
    expect(await team('alice', lastMonth)).toEqual([]);
    expect(await team('alice')).toEqual([]);
  });

  test('a period that ends before it starts is refused with BAD_USER_INPUT, not an error 500', async () => {
    const response = await api.gql(
      TEAM,
      { from: new Date(ago(1)).toISOString(), to: new Date(ago(2)).toISOString() },
      { token: people.agent.token },
    );
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  test('the table costs one statement for staff, none for a USER, whatever the size of the team', async () => {
    const cost = (who: Who, query: string) => api.sqlDuring(() => api.ok(query, {}, people[who].token));
    expect(
      (await cost('agent', '{ stats { total team { userId } } }')) -
        (await cost('agent', '{ stats { total } }')),
    ).toBe(1);
    expect(
      (await cost('alice', '{ stats { total team { userId } } }')) -
        (await cost('alice', '{ stats { total } }')),
    ).toBe(0);
  });
});
