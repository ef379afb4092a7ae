import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { BadInputError } from '../errors';
import { Project } from '../projects/project.entity';
import { Ticket } from '../tickets/ticket.entity';
import { Priority, TicketCategory, TicketStatus } from '../tickets/ticket.enums';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { StatsService } from './stats.service';
import type { CountByKey } from './stats.types';

const at = (iso: string) => new Date(iso);
// A Thursday: the current week started on Monday 2025-11-17.
const now = at('2025-11-20T12:00:00Z');

let tmpDir: string;
let database: Database;
let stats: StatsService;
const users: Record<'alice' | 'bob' | 'agnes', User> = {} as never;
const projects: Record<'alpha' | 'beta' | 'gamma', Project> = {} as never;

async function addUser(username: string, role: Role): Promise<User> {
  const { identifiers } = await database.manager.insert(User, {
    username,
    usernameKey: username,
    email: `${username}@example.test`,
    emailKey: `${username}@example.test`,
    passwordHash: 'x',
    role,
    createdAt: at('2025-01-01T00:00:00Z'),
  });
  return database.manager.findOneByOrFail(User, { id: identifiers[0].id });
}

async function addProject(name: string): Promise<Project> {
  const { identifiers } = await database.manager.insert(Project, {
    name,
    nameKey: name.toLowerCase(),
    createdAt: at('2025-01-01T00:00:00Z'),
  });
  return database.manager.findOneByOrFail(Project, { id: identifiers[0].id });
}

async function addTicket(
  author: User,
  project: Project,
  status: TicketStatus,
  priority: Priority,
  category: TicketCategory,
  createdAt: string,
  closedAt: string | null = null,
  assignee: User | null = null,
): Promise<void> {
  await database.manager.insert(Ticket, {
    title: 'A ticket',
    description: '',
    status,
    priority,
    category,
    projectId: project.id,
    authorId: author.id,
    assigneeId: assignee?.id ?? null,
    createdAt: at(createdAt),
    updatedAt: at(closedAt ?? createdAt),
    closedAt: closedAt ? at(closedAt) : null,
  });
}

const keyed = (entries: CountByKey[]) => Object.fromEntries(entries.map((entry) => [entry.key, entry.count]));
const nonZero = <T extends { opened: number; closed: number }>(buckets: T[], start: (bucket: T) => Date) =>
  buckets
    .filter((bucket) => bucket.opened || bucket.closed)
    .map((bucket) => [start(bucket).toISOString().slice(0, 10), bucket.opened, bucket.closed]);

beforeAll(async () => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stats-spec-'));
  database = await openDatabase({ databaseUrl: '', dataDir: tmpDir });
  stats = new StatsService(database, new ManualClock(now));
  users.alice = await addUser('alice', Role.USER);
  users.bob = await addUser('bob', Role.USER);
  users.agnes = await addUser('agnes', Role.AGENT);
  projects.alpha = await addProject('Alpha');
  projects.beta = await addProject('Beta');
  projects.gamma = await addProject('Gamma');
  const { alice, bob, agnes } = users;
  const { alpha, beta } = projects;
  const { OPEN, IN_PROGRESS, RESOLVED, CLOSED } = TicketStatus;
  const { BUG, IMPROVEMENT, QUESTION, OTHER } = TicketCategory;
  await addTicket(alice, alpha, OPEN, Priority.NORMAL, BUG, '2025-11-18T09:00:00Z');
  await addTicket(
    alice,
    alpha,
    RESOLVED,
    Priority.HIGH,
    BUG,
    '2025-11-10T10:00:00Z',
    '2025-11-11T10:00:00Z',
    agnes,
  );
  await addTicket(bob, beta, IN_PROGRESS, Priority.URGENT, QUESTION, '2025-11-12T08:00:00Z', null, agnes);
  await addTicket(bob, alpha, CLOSED, Priority.LOW, OTHER, '2025-10-01T00:00:00Z', '2025-11-19T00:00:00Z');
  await addTicket(agnes, beta, OPEN, Priority.NORMAL, IMPROVEMENT, '2025-11-19T15:00:00Z');
  await addTicket(
    alice,
    beta,
    CLOSED,
    Priority.NORMAL,
    QUESTION,
    '2025-11-03T00:00:00Z',
    '2025-11-03T06:00:00Z',
  );
});

afterAll(async () => {
  await database.close();
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

describe('StatsService.stats', () => {
  it('gives staff the figures over every ticket', async () => {
    const result = await stats.stats(users.agnes, {});
    expect([result.total, result.open, result.closed]).toEqual([6, 3, 3]);
    expect(result.byStatus).toEqual([
      { key: 'OPEN', count: 2 },
      { key: 'IN_PROGRESS', count: 1 },
      { key: 'WAITING', count: 0 },
      { key: 'RESOLVED', count: 1 },
      { key: 'CLOSED', count: 2 },
    ]);
    expect(result.byCategory.map((entry) => entry.key)).toEqual(['BUG', 'IMPROVEMENT', 'QUESTION', 'OTHER']);
    expect(keyed(result.byCategory)).toEqual({ BUG: 2, IMPROVEMENT: 1, QUESTION: 2, OTHER: 1 });
    expect(result.byPriority).toEqual([
      { key: 'LOW', count: 1 },
      { key: 'NORMAL', count: 3 },
      { key: 'HIGH', count: 1 },
      { key: 'URGENT', count: 1 },
    ]);
    // Gamma has no tickets, so it is left out; the tie between Alpha and Beta is broken by name.
    expect(result.byProject).toEqual([
      { key: 'Alpha', count: 3 },
      { key: 'Beta', count: 3 },
    ]);
    expect(result.byAuthor).toEqual([
      { key: 'alice', count: 3 },
      { key: 'bob', count: 2 },
      { key: 'agnes', count: 1 },
    ]);
    expect(result.byAssignee).toEqual([
      { key: '', count: 2 },
      { key: 'agnes', count: 1 },
    ]);
  });

  it('gives a USER the figures over their own tickets only, without authors and assignees', async () => {
    const result = await stats.stats(users.alice, {});
    expect([result.total, result.open, result.closed]).toEqual([3, 1, 2]);
    expect(result.byProject).toEqual([
      { key: 'Alpha', count: 2 },
      { key: 'Beta', count: 1 },
    ]);
    expect(result.byAuthor).toEqual([]);
    expect(result.byAssignee).toEqual([]);
    expect(nonZero(result.perWeek, (week) => week.weekStart)).toEqual([
      ['2025-11-03', 1, 1],
      ['2025-11-10', 1, 1],
      ['2025-11-17', 1, 0],
    ]);
  });

  it('narrows to one project', async () => {
    const result = await stats.stats(users.agnes, { projectId: projects.alpha.id });
    expect([result.total, result.open, result.closed]).toEqual([3, 1, 2]);
    expect(result.byProject).toEqual([{ key: 'Alpha', count: 3 }]);
    expect(result.byAuthor).toEqual([
      { key: 'alice', count: 2 },
      { key: 'bob', count: 1 },
    ]);
  });

  it('answers zeros for a project with no tickets or none at all', async () => {
    for (const projectId of [projects.gamma.id, 9999]) {
      const result = await stats.stats(users.agnes, { projectId });
      expect(result.total).toBe(0);
      expect(result.byStatus.map((entry) => entry.count)).toEqual([0, 0, 0, 0, 0]);
      expect(result.byProject).toEqual([]);
      expect(result.perWeek).toHaveLength(26);
      expect(result.perWeek.every((week) => week.opened === 0 && week.closed === 0)).toBe(true);
      expect(result.medianHoursToClose).toBeNull();
    }
  });

  it('narrows to tickets opened within the period, and counts closings by their own date', async () => {
    const from = at('2025-11-10T00:00:00Z');
    const to = at('2025-11-19T12:00:00Z');
    const result = await stats.stats(users.agnes, { from, to });
    expect([result.total, result.open, result.closed]).toEqual([3, 2, 1]);
    expect(result.medianHoursToClose).toBe(24);
    // The ticket opened on 1 October and closed on 19 November counts as closed in the week of the 17th.
    expect(result.perWeek).toEqual([
      { weekStart: at('2025-11-10T00:00:00Z'), opened: 2, closed: 1 },
      { weekStart: at('2025-11-17T00:00:00Z'), opened: 1, closed: 1 },
    ]);
    expect(result.perDay).toHaveLength(10);
    expect(result.perDay[0].day).toEqual(from);
    expect(result.perDay.reduce((sum, day) => sum + day.opened, 0)).toBe(result.total);
  });

  it('counts per week from Monday 00:00 UTC over the last 26 weeks, oldest first, empty weeks included', async () => {
    const { perWeek } = await stats.stats(users.agnes, {});
    expect(perWeek).toHaveLength(26);
    expect(perWeek[0].weekStart).toEqual(at('2025-05-26T00:00:00Z'));
    expect(perWeek[25].weekStart).toEqual(at('2025-11-17T00:00:00Z'));
    perWeek.forEach((week, index) => {
      expect(week.weekStart.getUTCDay()).toBe(1);
      expect(week.weekStart.getTime() - perWeek[0].weekStart.getTime()).toBe(index * 7 * 86_400_000);
    });
    expect(nonZero(perWeek, (week) => week.weekStart)).toEqual([
      ['2025-09-29', 1, 0],
      ['2025-11-03', 1, 1],
      ['2025-11-10', 2, 1],
      ['2025-11-17', 2, 1],
    ]);
  });

  it('counts per UTC day over the last 30 days', async () => {
    const { perDay } = await stats.stats(users.agnes, {});
    expect(perDay).toHaveLength(30);
    expect(perDay[0].day).toEqual(at('2025-10-22T00:00:00Z'));
    expect(perDay[29].day).toEqual(at('2025-11-20T00:00:00Z'));
    expect(nonZero(perDay, (day) => day.day)).toEqual([
      ['2025-11-03', 1, 1],
      ['2025-11-10', 1, 0],
      ['2025-11-11', 0, 1],
      ['2025-11-12', 1, 0],
      ['2025-11-18', 1, 0],
      ['2025-11-19', 1, 1],
    ]);
  });

  it('gives the median hours to close over an odd or even number of done tickets, or null', async () => {
    // 6 h, 24 h and 1176 h for staff; 6 h and 24 h for alice; bob has nothing done in Beta.
    expect((await stats.stats(users.agnes, {})).medianHoursToClose).toBe(24);
    expect((await stats.stats(users.alice, {})).medianHoursToClose).toBe(15);
    expect((await stats.stats(users.bob, { projectId: projects.beta.id })).medianHoursToClose).toBeNull();
  });

  it('refuses a period that ends before it starts, or one longer than 260 weeks', async () => {
    const refused = (from: string, to?: string) =>
      stats.stats(users.agnes, { from: at(from), to: to ? at(to) : null }).then(
        () => null,
        (error: unknown) => error,
      );
    for (const error of [
      await refused('2025-11-10T00:00:00Z', '2025-11-01T00:00:00Z'),
      await refused('2025-12-01T00:00:00Z'),
      await refused('2020-01-01T00:00:00Z'),
    ]) {
      expect(error).toBeInstanceOf(BadInputError);
      expect((error as BadInputError).extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        invalidFields: [{ field: 'from', rule: 'range' }],
      });
    }
  });
});
