import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../clock';
import { EventLog } from '../events/event-log';
import { visibleJobs } from '../access/access-policy';
import { type Database, openDatabase } from '../database/data-source';
import { ProjectService } from '../projects/project.service';
import { Role } from '../users/role';
import type { User } from '../users/user.entity';
import { userServiceFor } from '../../test/support/user-service';
import { Job } from './job.entity';
import { JobRecorder } from './job-recorder';
import { TicketStatus } from './ticket.enums';
import { TicketService } from './ticket.service';

let dataDir: string;
let database: Database;
let tickets: TicketService;
let admin: User;
let agent: User;
let reporter: User;
let other: User;
let projectId: string;

const codeOf = async (work: Promise<unknown>) => {
  try {
    await work;
    return 'OK';
  } catch (error) {
    return (error as { extensions?: { code?: string } }).extensions?.code ?? String(error);
  }
};

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticket-service-'));
  database = await openDatabase({ databaseUrl: '', dataDir });
  const users = userServiceFor(database);
  const register = (username: string) =>
    users.register({ username, email: `${username}@example.com`, password: 'purple elephants dance' });
  admin = await register('admin');
  agent = await users.setRole(admin, (await register('agent')).id, Role.AGENT);
  reporter = await register('reporter');
  other = await register('other');
  projectId = String((await new ProjectService(database, systemClock).create(admin, { name: 'App' })).id);
  tickets = new TicketService(database, systemClock, new JobRecorder(new EventLog(database)));
});

afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const newTicket = () =>
  tickets.create(reporter, { projectId, title: 'Crash on start', description: 'It closes at once.' });

describe('TicketService', () => {
  test('createTicket writes the opening job and ignores a reporter’s priority', async () => {
    const ticket = await tickets.create(reporter, {
      projectId,
      title: 'Crash on start',
      description: 'It closes at once.',
      priority: 'URGENT' as never,
    });
    expect(ticket.priority).toBe('NORMAL');
    const jobs = await database.manager.findBy(Job, { ticketId: ticket.id });
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ authorId: reporter.id, status: 'OPEN', internal: false });
  });

  test('another user’s ticket does not exist for a USER', async () => {
    const ticket = await newTicket();
    expect(await codeOf(tickets.get(other, ticket.id))).toBe('NOT_FOUND');
    expect(await codeOf(tickets.update(other, ticket.id, { comment: 'mine now' }))).toBe('NOT_FOUND');
    expect(await codeOf(tickets.get(agent, ticket.id))).toBe('OK');
  });

  test('the author may close and reopen, not triage', async () => {
    const ticket = await newTicket();
    expect(await codeOf(tickets.update(reporter, ticket.id, { priority: 'HIGH' as never }))).toBe(
      'FORBIDDEN',
    );
    expect(await codeOf(tickets.update(reporter, ticket.id, { status: TicketStatus.RESOLVED }))).toBe(
      'FORBIDDEN',
    );
    const closed = await tickets.update(reporter, ticket.id, {
      status: TicketStatus.CLOSED,
      comment: 'Works now',
    });
    expect(closed.closedAt).toBeInstanceOf(Date);
    const reopened = await tickets.update(reporter, ticket.id, { status: TicketStatus.OPEN });
    expect(reopened.closedAt).toBeNull();
  });

  test('every change is recorded from → to, users by username', async () => {
    const ticket = await newTicket();
    await tickets.update(agent, ticket.id, {
      assigneeId: String(agent.id),
      status: TicketStatus.IN_PROGRESS,
    });
    const jobs = await database.manager.find(Job, { where: { ticketId: ticket.id }, order: { id: 'ASC' } });
    expect(jobs[1].changes).toEqual([
      { field: 'status', from: 'OPEN', to: 'IN_PROGRESS' },
      { field: 'assignee', from: null, to: 'agent' },
    ]);
    expect(jobs[1].status).toBe('IN_PROGRESS');
  });

  test('an update with no change and no comment is refused, and nothing is written', async () => {
    const ticket = await newTicket();
    const before = await database.manager.countBy(Job, { ticketId: ticket.id });
    expect(await codeOf(tickets.update(reporter, ticket.id, { title: ticket.title }))).toBe('BAD_USER_INPUT');
    expect(await database.manager.countBy(Job, { ticketId: ticket.id })).toBe(before);
  });

  test('an internal note carries a comment and no change, and stays hidden from the USER', async () => {
    const ticket = await newTicket();
    expect(
      await codeOf(
        tickets.update(agent, ticket.id, { internal: true, status: TicketStatus.WAITING, comment: 'x' }),
      ),
    ).toBe('BAD_USER_INPUT');
    await tickets.update(agent, ticket.id, { internal: true, comment: 'Probably the cache.' });
    const jobs = await database.manager.findBy(Job, { ticketId: ticket.id });
    expect(visibleJobs(agent, jobs)).toHaveLength(2);
    expect(visibleJobs(reporter, jobs)).toHaveLength(1);
  });

  test('only staff can be assigned', async () => {
    const ticket = await newTicket();
    expect(await codeOf(tickets.update(agent, ticket.id, { assigneeId: String(other.id) }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(await codeOf(tickets.update(agent, ticket.id, { assigneeId: '999999' }))).toBe('NOT_FOUND');
  });
});
