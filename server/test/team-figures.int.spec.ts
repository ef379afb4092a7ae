import { DAY_MS, HOUR_MS, ManualClock } from '../src/clock';
import { rawQuery } from '../src/database/sql';
import { insertJobs } from '../src/tickets/job-rows';
import { TicketStatus, statusRank } from '../src/tickets/ticket.enums';
import { Role } from '../src/users/role';
import { UPDATE_TICKET } from './support/operations';
import { TestApi, type TestUser } from './support/test-server';

/**
 * The figures a lead needs (issue 13): Stats.medianHoursToFirstResponse, Stats.openByAge and
 * Ticket.lastReporterActivityAt, on a fixed data set written underneath the API at set times, with
 * every expected figure worked out by hand below.
 */

// Registering accounts hashes passwords: more than 5 s on a busy machine.
jest.setTimeout(30_000);

const now = new Date('2026-03-18T15:30:00Z').getTime();

const FIGURES = `query ($projectId: ID, $from: DateTimeISO) {
  stats(projectId: $projectId, from: $from) { open medianHoursToFirstResponse openByAge { key count } }
}`;

interface Figures {
  open: number;
  medianHoursToFirstResponse: number | null;
  openByAge: { key: string; count: number }[];
}

/** openByAge as [lt1d, 1to7d, 7to30d, gt30d], after checking the keys and their order. */
const ages = (figures: Figures): number[] => {
  expect(figures.openByAge.map((entry) => entry.key)).toEqual(['lt1d', '1to7d', '7to30d', 'gt30d']);
  return figures.openByAge.map((entry) => entry.count);
};

type Who = 'alice' | 'bob' | 'turncoat' | 'agent' | 'admin';

/** A job after the ticket's opening: by whom, as which role then, how long after the opening. */
interface LaterJob {
  by: Who;
  role: Role;
  afterHours: number;
  comment: string | null;
  internal?: boolean;
}

interface TicketSpec {
  author: Who;
  project: 'Web' | 'App';
  status: TicketStatus;
  /** now − createdAt. */
  ageMs: number;
  jobs: LaterJob[];
}

const agentSays = (afterHours: number, comment = 'On it.'): LaterJob => ({
  by: 'agent',
  role: Role.AGENT,
  afterHours,
  comment,
});

/*
 * First responses (hours), by ticket: T2 2, T3 5, T4 8, T6 3, T7 10, T9 6, T10 1; T1, T5, T8 have none.
 * Open tickets by age: T1 0, T2 1 d − 1 ms, T3 1 d, T4 7 d − 1 ms, T5 7 d, T6 30 d − 1 ms, T7 30 d, T8 40 d.
 */
const TICKETS: TicketSpec[] = [
  // T1: opened this instant, nothing since.
  { author: 'alice', project: 'Web', status: TicketStatus.OPEN, ageMs: 0, jobs: [] },
  // T2
  { author: 'alice', project: 'Web', status: TicketStatus.OPEN, ageMs: DAY_MS - 1, jobs: [agentSays(2)] },
  // T3: an internal note and the reporter's own comment come first; neither is an answer.
  {
    author: 'bob',
    project: 'Web',
    status: TicketStatus.IN_PROGRESS,
    ageMs: DAY_MS,
    jobs: [
      {
        by: 'agent',
        role: Role.AGENT,
        afterHours: 1,
        comment: 'Staff only: looks like the proxy.',
        internal: true,
      },
      { by: 'bob', role: Role.USER, afterHours: 2, comment: 'Any news?' },
      agentSays(5),
    ],
  },
  // T4: its reporter, an AGENT now, commented while a USER (no answer); a change with no comment (none
  // either); an ADMIN answers at 8 h; then the reporter, now staff, changes something at 9 h.
  {
    author: 'turncoat',
    project: 'App',
    status: TicketStatus.WAITING,
    ageMs: 7 * DAY_MS - 1,
    jobs: [
      { by: 'turncoat', role: Role.USER, afterHours: 1, comment: 'It crashes at start.' },
      { by: 'agent', role: Role.AGENT, afterHours: 2, comment: null },
      { by: 'admin', role: Role.ADMIN, afterHours: 8, comment: 'Fixed in 2.1.' },
      { by: 'turncoat', role: Role.AGENT, afterHours: 9, comment: null },
    ],
  },
  // T5: an empty comment (as an import may hold) is no answer.
  { author: 'alice', project: 'App', status: TicketStatus.OPEN, ageMs: 7 * DAY_MS, jobs: [agentSays(1, '')] },
  // T6
  {
    author: 'bob',
    project: 'Web',
    status: TicketStatus.OPEN,
    ageMs: 30 * DAY_MS - 1,
    jobs: [{ by: 'admin', role: Role.ADMIN, afterHours: 3, comment: 'Which browser?' }],
  },
  // T7: the first answer counts, not the later one.
  {
    author: 'alice',
    project: 'App',
    status: TicketStatus.OPEN,
    ageMs: 30 * DAY_MS,
    jobs: [agentSays(10), agentSays(12)],
  },
  // T8
  { author: 'bob', project: 'App', status: TicketStatus.WAITING, ageMs: 40 * DAY_MS, jobs: [] },
  // T9, T10: done, so in no age bucket, but answered.
  {
    author: 'alice',
    project: 'Web',
    status: TicketStatus.RESOLVED,
    ageMs: 50 * DAY_MS,
    jobs: [agentSays(6), { by: 'alice', role: Role.USER, afterHours: 7, comment: 'Thanks!' }],
  },
  { author: 'bob', project: 'App', status: TicketStatus.CLOSED, ageMs: 60 * DAY_MS, jobs: [agentSays(1)] },
];

let api: TestApi;
let clock: ManualClock;
const people = {} as Record<Who, TestUser>;
const projects = {} as Record<'Web' | 'App', string>;
/** The ids of T1…T10. */
const ticketIds: string[] = [];
/** When each ticket was opened. */
const openedAt: number[] = [];

beforeAll(async () => {
  clock = new ManualClock(now);
  api = await TestApi.start({}, { clock });
  const { admin, agent } = await api.registerAdminAndAgent();
  Object.assign(people, {
    admin,
    agent,
    alice: await api.register('alice'),
    bob: await api.register('bob'),
    turncoat: await api.register('turncoat'),
  });
  await api.setRole(admin, people.turncoat, 'AGENT');
  projects.Web = await api.createProject(admin, 'Web');
  projects.App = await api.createProject(admin, 'App');

  const manager = api.server.services.database.manager;
  for (const spec of TICKETS) {
    const createdAt = now - spec.ageMs;
    const done = statusRank(spec.status) >= statusRank(TicketStatus.RESOLVED);
    const [row] = await rawQuery<{ id: number | string }[]>(
      manager,
      `INSERT INTO "ticket" ("title", "description", "status", "priority", "category", "projectId",
        "authorId", "createdAt", "updatedAt", "closedAt") VALUES (?, ?, ?, 1, 'BUG', ?, ?, ?, ?, ?) RETURNING "id"`,
      [
        'A ticket',
        '',
        statusRank(spec.status),
        Number(projects[spec.project]),
        Number(people[spec.author].id),
        createdAt,
        createdAt,
        done ? createdAt + DAY_MS : null,
      ],
    );
    ticketIds.push(String(row.id));
    openedAt.push(createdAt);
    await insertJobs(manager, [
      {
        ticketId: Number(row.id),
        authorId: Number(people[spec.author].id),
        // Every reporter was a USER when opening (turncoat too, promoted since).
        authorRole: Role.USER,
        createdAt: new Date(createdAt),
        comment: null,
        internal: false,
        status: TicketStatus.OPEN,
        changes: [],
      },
      ...spec.jobs.map((job) => ({
        ticketId: Number(row.id),
        authorId: Number(people[job.by].id),
        authorRole: job.role,
        createdAt: new Date(createdAt + job.afterHours * HOUR_MS),
        comment: job.comment,
        internal: job.internal ?? false,
        status: spec.status,
        changes: [],
      })),
    ]);
  }
});

afterAll(() => api?.stop());

async function figures(who: Who, variables: Record<string, unknown> = {}): Promise<Figures> {
  return (await api.ok<{ stats: Figures }>(FIGURES, variables, people[who].token)).stats;
}

describe('Stats.medianHoursToFirstResponse', () => {
  test('staff: the median over every answered ticket, an odd count (1 2 3 5 6 8 10)', async () => {
    expect((await figures('agent')).medianHoursToFirstResponse).toBe(5);
    expect((await figures('admin')).medianHoursToFirstResponse).toBe(5);
  });

  test('per project: an even count takes the mean of the middle two (Web: 2 3 5 6), an odd one the middle (App: 1 8 10)', async () => {
    expect((await figures('agent', { projectId: projects.Web })).medianHoursToFirstResponse).toBe(4);
    expect((await figures('agent', { projectId: projects.App })).medianHoursToFirstResponse).toBe(8);
  });

  test('a period counts the tickets opened in it, as the other figures do (T1–T5: 2 5 8)', async () => {
    const from = new Date(now - 8 * DAY_MS).toISOString();
    expect((await figures('agent', { from })).medianHoursToFirstResponse).toBe(5);
  });

  test('a USER: over their own tickets only', async () => {
    // alice: T2 2, T7 10, T9 6. bob: T3 5, T6 3, T10 1.
    expect((await figures('alice')).medianHoursToFirstResponse).toBe(6);
    expect((await figures('bob')).medianHoursToFirstResponse).toBe(3);
    // alice on Web: T2 2, T9 6 (T1 has none).
    expect((await figures('alice', { projectId: projects.Web })).medianHoursToFirstResponse).toBe(4);
  });

  test('null where no ticket has an answer', async () => {
    expect((await figures('agent', { projectId: '999999' })).medianHoursToFirstResponse).toBeNull();
    // T1 alone was opened in the last hour, and nobody has answered it.
    const from = new Date(now - HOUR_MS).toISOString();
    expect((await figures('alice', { from })).medianHoursToFirstResponse).toBeNull();
  });
});

describe('Stats.openByAge', () => {
  test('staff: each bound belongs to the older bucket (exactly 1, 7 and 30 days), done tickets left out', async () => {
    const all = await figures('agent');
    expect(ages(all)).toEqual([2, 2, 2, 2]);
    expect(all.open).toBe(8);
  });

  test('per project and for a USER, with the empty buckets listed; the backlog is now, whatever the period', async () => {
    expect(ages(await figures('agent', { projectId: projects.Web }))).toEqual([2, 1, 1, 0]);
    expect(ages(await figures('agent', { projectId: projects.App }))).toEqual([0, 1, 1, 2]);
    // A period narrows the other figures, not the backlog: the old tickets are what a lead looks for.
    const lastWeek = await figures('agent', { from: new Date(now - 8 * DAY_MS).toISOString() });
    expect(ages(lastWeek)).toEqual([2, 2, 2, 2]);
    expect(lastWeek.open).toBe(5);
    expect(ages(await figures('alice'))).toEqual([2, 0, 1, 1]);
    expect(ages(await figures('bob'))).toEqual([0, 1, 1, 1]);
    expect(ages(await figures('agent', { projectId: '999999' }))).toEqual([0, 0, 0, 0]);
  });

  test("ages run from the service's clock: one millisecond later, T2, T4 and T6 cross a bound", async () => {
    clock.set(now + 1);
    try {
      expect(ages(await figures('agent'))).toEqual([1, 2, 2, 3]);
    } finally {
      clock.set(now);
    }
  });
});

describe('Ticket.lastReporterActivityAt', () => {
  const ACTIVITY = `query ($id: ID!) { ticket(id: $id) { lastReporterActivityAt } }`;
  const activity = async (who: Who, index: number): Promise<string | null> =>
    (
      await api.ok<{ ticket: { lastReporterActivityAt: string | null } }>(
        ACTIVITY,
        { id: ticketIds[index] },
        people[who].token,
      )
    ).ticket.lastReporterActivityAt;
  const iso = (index: number, afterHours = 0) =>
    new Date(openedAt[index] + afterHours * HOUR_MS).toISOString();

  test("staff: the reporter's latest job of any kind (the opening, a comment, a change)", async () => {
    expect(await activity('agent', 0)).toBe(iso(0)); // T1: the opening only
    expect(await activity('agent', 2)).toBe(iso(2, 2)); // T3: bob's comment, not the agent's later answer
    expect(await activity('admin', 3)).toBe(iso(3, 9)); // T4: the reporter's change, made as an AGENT
    expect(await activity('agent', 8)).toBe(iso(8, 7)); // T9: alice's thanks after the answer
  });

  test('a USER gets null, on their own ticket too', async () => {
    expect(await activity('alice', 0)).toBeNull();
    expect(await activity('bob', 2)).toBeNull();
  });

  test('a page of tickets costs one statement for the field, whatever its length', async () => {
    const page = (fields: string) => `{ tickets(first: 50) { nodes { id ${fields} } } }`;
    const cost = (query: string) => api.sqlDuring(() => api.ok(query, {}, people.agent.token));
    const listed = await api.ok<{ tickets: { nodes: { id: string; lastReporterActivityAt: string }[] } }>(
      page('lastReporterActivityAt'),
      {},
      people.agent.token,
    );
    expect(listed.tickets.nodes).toHaveLength(TICKETS.length);
    const expected = new Map(ticketIds.map((id, index) => [id, index]));
    for (const node of listed.tickets.nodes) {
      expect(node.lastReporterActivityAt).not.toBeNull();
      expect(Date.parse(node.lastReporterActivityAt)).toBeGreaterThanOrEqual(
        openedAt[expected.get(node.id)!],
      );
    }
    expect((await cost(page('lastReporterActivityAt'))) - (await cost(page('')))).toBe(1);
    // A USER's page asks nothing more: the field is null before any read.
    const own = (query: string) => api.sqlDuring(() => api.ok(query, {}, people.alice.token));
    expect((await own(page('lastReporterActivityAt'))) - (await own(page('')))).toBe(0);
  });
});

test('with answered tickets, a full stats request costs 9 statements for staff, 7 for a USER', async () => {
  const cost = (who: Who, query: string) => api.sqlDuring(() => api.ok(query, {}, people[who].token));
  // The six of before (four for a USER), the count and the middle of the first responses, the ages.
  for (const [who, statements] of [
    ['agent', 9],
    ['alice', 7],
  ] as const) {
    const signedIn = await cost(who, '{ me { id } }');
    expect((await cost(who, '{ stats { total } }')) - signedIn).toBe(statements);
  }
});

describe('the first response of tickets written through the API', () => {
  test("an agent's public comment is the answer, from the moment it is written; a note or the reporter's comment is not", async () => {
    const project = await api.createProject(people.admin, 'Api');
    const update = (who: Who, id: string, input: Record<string, unknown>) =>
      api.ok(UPDATE_TICKET, { id, input }, people[who].token);
    const median = async () => (await figures('agent', { projectId: project })).medianHoursToFirstResponse;
    try {
      clock.set(now - 10 * HOUR_MS);
      const id = await api.createTicket(people.alice, project);
      clock.set(now - 9 * HOUR_MS);
      await update('agent', id, { comment: 'Staff only: a known bug.', internal: true });
      await update('alice', id, { comment: 'Any news?' });
      await update('agent', id, { priority: 'HIGH' });
      expect(await median()).toBeNull();
      clock.set(now - 7 * HOUR_MS);
      await update('agent', id, { comment: 'Fixed on staging.' });
      clock.set(now - 6 * HOUR_MS);
      await update('admin', id, { comment: 'Deployed.' });
      expect(await median()).toBe(3);
    } finally {
      clock.set(now);
    }
  });
});
