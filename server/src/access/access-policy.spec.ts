import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import type { Project } from '../projects/project.entity';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { Priority, TicketCategory, TicketStatus } from '../tickets/ticket.enums';
import { ProjectService } from '../projects/project.service';
import { Role } from '../users/role';
import type { User } from '../users/user.entity';
import { userServiceFor } from '../../test/support/user-service';
import {
  canExport,
  canSeeAttachment,
  canListArchivedProjects,
  canReadProjectReport,
  canSeeDeactivated,
  canSeeInternalNotes,
  canSeeJob,
  canSeePrivateUserFields,
  canSeeProject,
  canSeeReporterActivity,
  canSeeTicket,
  canSeeWhoFigures,
  canUseSavedView,
  isInProjectReport,
  visibleJobs,
  visibleProjectDescription,
  webhookReceivesJob,
  whereJobInProjectReport,
  whereJobReachesWebhook,
  whereJobVisible,
  whereTicketVisible,
} from './access-policy';

const person = (id: number, role: Role) => ({ id, role }) as User;
const admin = person(1, Role.ADMIN);
const agent = person(2, Role.AGENT);
const reporter = person(3, Role.USER);
const other = person(4, Role.USER);
const staff = [admin, agent];

const ticketBy = (author: User) => ({ authorId: author.id });
const project = (archived: boolean) =>
  ({ id: 7, name: 'Intranet', description: 'Staff notes', archived }) as Project;

test('tickets: staff see every ticket, a USER only their own', () => {
  for (const viewer of staff) expect(canSeeTicket(viewer, ticketBy(other))).toBe(true);
  expect(canSeeTicket(reporter, ticketBy(reporter))).toBe(true);
  expect(canSeeTicket(reporter, ticketBy(other))).toBe(false);
});

test('jobs: internal notes are for staff only, in history and in search', () => {
  const jobs = [
    { id: 1, internal: false },
    { id: 2, internal: true },
  ] as Job[];
  for (const viewer of staff) {
    expect(canSeeInternalNotes(viewer)).toBe(true);
    expect(visibleJobs(viewer, jobs).map((job) => job.id)).toEqual([1, 2]);
  }
  expect(canSeeInternalNotes(reporter)).toBe(false);
  expect(visibleJobs(reporter, jobs).map((job) => job.id)).toEqual([1]);
});

test("attachments: an unlinked upload is its uploader's alone; a linked one follows its ticket and job", () => {
  const unlinked = { authorId: reporter.id, jobId: null };
  expect(canSeeAttachment(reporter, unlinked, ticketBy(reporter), null)).toBe(true);
  for (const viewer of [...staff, other])
    expect(canSeeAttachment(viewer, unlinked, ticketBy(reporter), null)).toBe(false);
  const linked = { authorId: agent.id, jobId: 9 };
  for (const viewer of [...staff, reporter]) {
    expect(canSeeAttachment(viewer, linked, ticketBy(reporter), { internal: false })).toBe(true);
  }
  expect(canSeeAttachment(other, linked, ticketBy(reporter), { internal: false })).toBe(false);
  for (const viewer of staff)
    expect(canSeeAttachment(viewer, linked, ticketBy(reporter), { internal: true })).toBe(true);
  expect(canSeeAttachment(reporter, linked, ticketBy(reporter), { internal: true })).toBe(false);
});

test('projects: active ones for everyone, archived ones for staff only when asked directly', () => {
  for (const viewer of [admin, agent, reporter]) expect(canSeeProject(viewer, project(false))).toBe(true);
  for (const viewer of staff) expect(canSeeProject(viewer, project(true))).toBe(true);
  expect(canSeeProject(reporter, project(true))).toBe(false);
});

test('projects: only an admin lists the archived ones', () => {
  expect(canListArchivedProjects(admin)).toBe(true);
  expect(canListArchivedProjects(agent)).toBe(false);
  expect(canListArchivedProjects(reporter)).toBe(false);
});

test('exports: only an admin takes the whole record out', () => {
  expect(canExport(admin)).toBe(true);
  expect(canExport(agent)).toBe(false);
  expect(canExport(reporter)).toBe(false);
});

test("projects: a USER never reads an archived project's description, whatever the way in", () => {
  expect(visibleProjectDescription(reporter, project(false))).toBe('Staff notes');
  expect(visibleProjectDescription(reporter, project(true))).toBe('');
  expect(visibleProjectDescription(null, project(true))).toBe('');
  for (const viewer of staff) expect(visibleProjectDescription(viewer, project(true))).toBe('Staff notes');
});

test('stats: figures by author and by assignee are for staff only', () => {
  for (const viewer of staff) expect(canSeeWhoFigures(viewer)).toBe(true);
  expect(canSeeWhoFigures(reporter)).toBe(false);
});

test("a ticket's last reporter activity is for staff only, never for a USER or anonymous", () => {
  for (const viewer of staff) expect(canSeeReporterActivity(viewer)).toBe(true);
  expect(canSeeReporterActivity(reporter)).toBe(false);
  expect(canSeeReporterActivity(null)).toBe(false);
});

test('project report: staff read it, and it holds public jobs only, even for them', () => {
  for (const viewer of staff) expect(canReadProjectReport(viewer)).toBe(true);
  expect(canReadProjectReport(reporter)).toBe(false);
  expect(isInProjectReport({ internal: false })).toBe(true);
  expect(isInProjectReport({ internal: true })).toBe(false);
});

test('users: email and settings are seen by the user themself and by admins only', () => {
  expect(canSeePrivateUserFields(reporter, reporter)).toBe(true);
  expect(canSeePrivateUserFields(admin, reporter)).toBe(true);
  expect(canSeePrivateUserFields(agent, reporter)).toBe(false);
  expect(canSeePrivateUserFields(other, reporter)).toBe(false);
  expect(canSeePrivateUserFields(null, reporter)).toBe(false);
});

test('users: whether an account is deactivated is seen by admins only', () => {
  expect(canSeeDeactivated(admin)).toBe(true);
  expect(canSeeDeactivated(agent)).toBe(false);
  expect(canSeeDeactivated(reporter)).toBe(false);
  expect(canSeeDeactivated(null)).toBe(false);
});

test('saved views: their owner only, an admin included', () => {
  const view = { userId: reporter.id };
  expect(canUseSavedView(reporter, view)).toBe(true);
  expect(canUseSavedView(other, view)).toBe(false);
  expect(canUseSavedView(agent, view)).toBe(false);
  expect(canUseSavedView(admin, view)).toBe(false);
});

test('webhooks: every ticket, internal notes only for those created with includeInternal', () => {
  const note = { internal: true };
  const reply = { internal: false };
  expect(webhookReceivesJob({ includeInternal: true }, note)).toBe(true);
  expect(webhookReceivesJob({ includeInternal: true }, reply)).toBe(true);
  expect(webhookReceivesJob({ includeInternal: false }, note)).toBe(false);
  expect(webhookReceivesJob({ includeInternal: false }, reply)).toBe(true);
});

describe('the SQL forms of the ticket and job rules agree with the predicates', () => {
  let dataDir: string;
  let database: Database;
  let tickets: Ticket[];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'access-policy-'));
    database = await openDatabase({ databaseUrl: '', dataDir });
    const users = userServiceFor(database);
    const register = (username: string) =>
      users.register({ username, email: `${username}@example.com`, password: 'purple elephants dance' });
    const first = await register('admin');
    await register('agent');
    await register('reporter');
    await register('other');
    const projectId = (await new ProjectService(database, systemClock).create(first, { name: 'App' })).id;
    const now = new Date();
    const row = (authorId: number) => ({
      title: 'A ticket',
      description: 'Broken.',
      status: TicketStatus.OPEN,
      priority: Priority.NORMAL,
      category: TicketCategory.BUG,
      projectId,
      authorId,
      assigneeId: null,
      createdAt: now,
      updatedAt: now,
      closedAt: null,
    });
    await database.manager.insert(Ticket, [row(1), row(3), row(3), row(4), row(2)]);
    tickets = await database.manager.find(Ticket, { order: { id: 'ASC' } });
    // Each ticket gets a public job and an internal note.
    const job = (ticket: Ticket, internal: boolean) => ({
      ticketId: ticket.id,
      authorId: 2,
      authorRole: Role.AGENT,
      createdAt: now,
      comment: internal ? 'Staff only.' : 'Looking.',
      internal,
      status: TicketStatus.OPEN,
      changes: [],
    });
    await database.manager.insert(
      Job,
      tickets.flatMap((ticket) => [job(ticket, false), job(ticket, true)]),
    );
  });

  afterAll(async () => {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test.each([
    ['an admin', admin],
    ['an agent', agent],
    ['a USER', reporter],
    ['another USER', other],
  ])('for %s', async (_who, viewer) => {
    const query = whereTicketVisible(database.manager.createQueryBuilder(Ticket, 't'), viewer);
    const listed = (await query.orderBy('t.id', 'ASC').getMany()).map((ticket) => ticket.id);
    expect(listed).toEqual(tickets.filter((ticket) => canSeeTicket(viewer, ticket)).map((t) => t.id));
  });

  test.each([
    ['an admin', admin],
    ['an agent', agent],
    ['a USER', reporter],
    ['another USER', other],
  ])('and so does the job rule, for %s', async (_who, viewer) => {
    const query = whereJobVisible(
      database.manager.createQueryBuilder(Job, 'j').innerJoin('j.ticket', 't'),
      viewer,
      'j',
      't',
    );
    const listed = (await query.orderBy('j.id', 'ASC').getMany()).map((job) => job.id);
    const all = await database.manager.find(Job, { order: { id: 'ASC' } });
    const expected = tickets
      .filter((ticket) => canSeeTicket(viewer, ticket))
      .flatMap((ticket) =>
        visibleJobs(
          viewer,
          all.filter((job) => job.ticketId === ticket.id),
        ),
      )
      .map((job) => job.id)
      .sort((a, b) => a - b);
    expect(listed).toEqual(expected);
    expect(listed.length).toBeGreaterThan(0);
  });

  test.each([true, false])('and so does the webhook rule, includeInternal %s', async (includeInternal) => {
    const webhook = { includeInternal };
    const query = whereJobReachesWebhook(database.manager.createQueryBuilder(Job, 'j'), webhook);
    const listed = (await query.orderBy('j.id', 'ASC').getMany()).map((job) => job.id);
    const all = await database.manager.find(Job, { order: { id: 'ASC' } });
    expect(listed).toEqual(all.filter((job) => webhookReceivesJob(webhook, job)).map((job) => job.id));
    expect(listed.length).toBeGreaterThan(0);
  });

  test('and so does the project report rule', async () => {
    const query = whereJobInProjectReport(database.manager.createQueryBuilder(Job, 'j'));
    const listed = (await query.orderBy('j.id', 'ASC').getMany()).map((job) => job.id);
    const all = await database.manager.find(Job, { order: { id: 'ASC' } });
    expect(listed).toEqual(all.filter(isInProjectReport).map((job) => job.id));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.length).toBeLessThan(all.length);
  });
});

describe('canSeeJob (live updates)', () => {
  const mine = { authorId: reporter.id };
  const public_ = { internal: false };
  const note = { internal: true };
  test('a USER: public jobs of their own tickets only', () => {
    expect(canSeeJob(reporter, mine, public_)).toBe(true);
    expect(canSeeJob(reporter, mine, note)).toBe(false);
    expect(canSeeJob(other, mine, public_)).toBe(false);
  });
  test('staff: every job, internal notes included', () => {
    for (const viewer of [agent, admin]) {
      expect(canSeeJob(viewer, mine, public_)).toBe(true);
      expect(canSeeJob(viewer, mine, note)).toBe(true);
    }
  });
});
