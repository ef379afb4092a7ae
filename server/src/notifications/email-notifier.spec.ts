import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { EventLog } from '../events/event-log';
import { Outbox } from '../outbox/outbox';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { ProjectService } from '../projects/project.service';
import { JobRecorder } from '../tickets/job-recorder';
import { TicketStatus } from '../tickets/ticket.enums';
import { TicketService } from '../tickets/ticket.service';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { userServiceFor } from '../../test/support/user-service';
import { ACTIVITY_WINDOW_MS, EmailNotifier, mergeActivity } from './email-notifier';

let dataDir: string;
let database: Database;
let clock: ManualClock;
let events: EventLog;
let notifier: EmailNotifier;
let tickets: TicketService;
let admin: User;
let agent: User;
let other: User;
let reporter: User;
let projectId: string;

/** Runs the notifier over the events written since the last call; returns the new messages, by username. */
async function fanOut(): Promise<Record<string, number[][]>> {
  const before = await database.manager.maximum(OutboxMessage, 'id');
  await events.consume(notifier.name, (manager, batch) => notifier.handle(manager, batch));
  const messages = await database.manager
    .createQueryBuilder(OutboxMessage, 'm')
    .where('m.id > :before', { before: before ?? 0 })
    .orderBy('m.id')
    .getMany();
  const byUser: Record<string, number[][]> = {};
  for (const message of messages) {
    const user = await database.manager.findOneByOrFail(User, { id: message.recipientUserId! });
    (byUser[user.username] ??= []).push(message.params.jobIds as number[]);
  }
  return byUser;
}

const recipients = async () => Object.keys(await fanOut()).sort();

/** Each test starts from a quiet outbox: a message waiting in a window would swallow the next job. */
async function settle(): Promise<void> {
  await fanOut();
  await database.manager.createQueryBuilder().update(OutboxMessage).set({ attempts: 1 }).execute();
}

async function setUser(user: User, values: Partial<User>): Promise<void> {
  await database.manager.update(User, { id: user.id }, values);
}

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'email-notifier-'));
  database = await openDatabase({ databaseUrl: '', dataDir });
  clock = new ManualClock(Date.UTC(2026, 0, 5, 9));
  const users = userServiceFor(database);
  const register = (username: string) =>
    users.register({ username, email: `${username}@example.com`, password: 'purple elephants dance' });
  admin = await register('admin');
  agent = await users.setRole(admin, (await register('agent')).id, Role.AGENT);
  other = await users.setRole(admin, (await register('other')).id, Role.AGENT);
  reporter = await register('reporter');
  // Verification is the accounts flow's business; here every address starts verified.
  await database.manager.createQueryBuilder().update(User).set({ emailVerified: true }).execute();
  projectId = String((await new ProjectService(database, clock).create(admin, { name: 'App' })).id);
  events = new EventLog(database);
  notifier = new EmailNotifier(new Outbox(clock));
  tickets = new TicketService(database, clock, new JobRecorder(events));
  await fanOut(); // the consumer's cursor starts at the end of the log
});

beforeEach(async () => {
  await database.manager
    .createQueryBuilder()
    .update(User)
    .set({
      emailVerified: true,
      notifyByEmail: true,
      notifyNewTickets: true,
      role: Role.USER,
      deactivatedAt: null,
    })
    .execute();
  await setUser(admin, { role: Role.ADMIN });
  await setUser(agent, { role: Role.AGENT });
  await setUser(other, { role: Role.AGENT });
  clock.advance(ACTIVITY_WINDOW_MS * 10);
  await settle();
});

afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const newTicket = async () => {
  const ticket = await tickets.create(reporter, { projectId, title: 'Crash', description: 'At once.' });
  await settle();
  return ticket;
};

describe('fan-out', () => {
  test('a backlog is handed over in transactions of 20 events, so it never holds the write queue long', async () => {
    const ticket = await newTicket();
    for (let i = 0; i < 25; i += 1) await tickets.update(agent, ticket.id, { comment: `Look ${i}` });
    const handled = () => events.consume(notifier.name, (manager, batch) => notifier.handle(manager, batch));
    expect(await handled()).toBe(20);
    expect(await handled()).toBe(5);
  });

  test('after a pause of the consumer, jobs 5 minutes apart still make two messages', async () => {
    const ticket = await newTicket();
    await tickets.update(agent, ticket.id, { comment: 'First' });
    clock.advance(5 * 60_000);
    await tickets.update(agent, ticket.id, { comment: 'Second' });
    clock.advance(30 * 60_000);
    expect((await fanOut()).reporter).toHaveLength(2);
  });
});

describe('who is told what', () => {
  test('a new ticket: staff watching new tickets, not the reporter who opened it', async () => {
    await tickets.create(reporter, { projectId, title: 'Crash', description: 'At once.' });
    expect(await recipients()).toEqual(['admin', 'agent', 'other']);
  });

  test('staff who turned notifyNewTickets off are not told of new tickets; a USER never is', async () => {
    await setUser(other, { notifyNewTickets: false });
    await tickets.create(reporter, { projectId, title: 'Crash', description: 'At once.' });
    expect(await recipients()).toEqual(['admin', 'agent']);
  });

  test('a deactivated account is told nothing, as author or as watching staff', async () => {
    await setUser(other, { deactivatedAt: new Date() });
    const ticket = await tickets.create(reporter, { projectId, title: 'Crash', description: 'At once.' });
    expect(await recipients()).toEqual(['admin', 'agent']);
    await settle();
    await setUser(reporter, { deactivatedAt: new Date() });
    await tickets.update(agent, ticket.id, { status: TicketStatus.IN_PROGRESS });
    expect(await recipients()).toEqual([]);
  });

  test('staff opening a ticket are not told of their own', async () => {
    await tickets.create(agent, { projectId, title: 'Crash', description: 'At once.' });
    expect(await recipients()).toEqual(['admin', 'other']);
  });

  test('the author: every change or comment by someone else', async () => {
    const ticket = await newTicket();
    await tickets.update(agent, ticket.id, { status: TicketStatus.IN_PROGRESS });
    expect(await recipients()).toEqual(['reporter']);
  });

  test('the author is never told of an internal note, nor of their own action', async () => {
    const ticket = await newTicket();
    await tickets.update(agent, ticket.id, { assigneeId: String(other.id) });
    await settle();
    await tickets.update(agent, ticket.id, { comment: 'Looks like the cache', internal: true });
    expect(await recipients()).toEqual(['other']);
    clock.advance(ACTIVITY_WINDOW_MS * 2);
    await settle();
    await tickets.update(reporter, ticket.id, { comment: 'Any news?' });
    expect(await recipients()).toEqual(['other']);
  });

  test('the assignee: every change or comment by someone else, internal notes included', async () => {
    const ticket = await newTicket();
    await tickets.update(admin, ticket.id, { assigneeId: String(agent.id) });
    expect(await recipients()).toEqual(['agent', 'reporter']);
    await settle();
    await tickets.update(admin, ticket.id, { comment: 'Check the logs', internal: true });
    expect(await recipients()).toEqual(['agent']);
    await settle();
    await tickets.update(agent, ticket.id, { comment: 'On it' });
    expect(await recipients()).toEqual(['reporter']);
  });

  test('the assignee who loses the ticket is told, and of what happened while they held it', async () => {
    const ticket = await newTicket();
    await tickets.update(admin, ticket.id, { assigneeId: String(agent.id) });
    await settle();
    // Both jobs in one batch: the note was made while agent held the ticket, though they no longer do.
    await tickets.update(admin, ticket.id, { comment: 'Priority for this week', internal: true });
    await tickets.update(other, ticket.id, { assigneeId: String(other.id) });
    const told = await fanOut();
    expect(Object.keys(told).sort()).toEqual(['agent', 'reporter']);
    expect(told.agent).toHaveLength(2); // one per actor: admin's note, other's reassignment
  });

  test('while nobody holds the ticket, the reporter’s replies go to watching staff', async () => {
    const ticket = await newTicket();
    await tickets.update(reporter, ticket.id, { comment: 'It also happens on Linux' });
    expect(await recipients()).toEqual(['admin', 'agent', 'other']);
  });

  test('once someone holds it, the reporter’s replies go to the assignee only', async () => {
    const ticket = await newTicket();
    await tickets.update(agent, ticket.id, { assigneeId: String(agent.id), status: TicketStatus.WAITING });
    await settle();
    await tickets.update(reporter, ticket.id, { comment: 'Here is the file' });
    expect(await recipients()).toEqual(['agent']);
  });

  test('a reporter’s change without a comment is not a reply: watchers are not told', async () => {
    const ticket = await newTicket();
    await tickets.update(reporter, ticket.id, { title: 'Crash at start' });
    expect(await recipients()).toEqual([]);
  });

  test('only verified addresses with notifyByEmail on', async () => {
    await setUser(agent, { emailVerified: false });
    await setUser(other, { notifyByEmail: false });
    await tickets.create(reporter, { projectId, title: 'Crash', description: 'At once.' });
    expect(await recipients()).toEqual(['admin']);
  });

  test('one message per person: the author who is also the assignee gets one', async () => {
    const own = await tickets.create(agent, { projectId, title: 'Mine', description: 'Own.' });
    await tickets.update(agent, own.id, { assigneeId: String(agent.id) });
    await settle();
    await tickets.update(admin, own.id, { comment: 'Seen' });
    expect(await fanOut()).toEqual({ agent: [[expect.any(Number)]] });
  });

  test('jobs by one person on one ticket within 2 minutes: one message listing them', async () => {
    const ticket = await newTicket();
    const firstJobAt = clock.now().getTime();
    for (const comment of ['One', 'Two', 'Three']) {
      await tickets.update(agent, ticket.id, { comment });
      clock.advance(30_000);
      await fanOut();
    }
    const messages = await database.manager.findBy(OutboxMessage, {
      recipientUserId: reporter.id,
      attempts: 0,
    });
    expect(messages).toHaveLength(1);
    expect(messages[0].params).toMatchObject({ ticketId: ticket.id, actorId: agent.id });
    expect(messages[0].params.jobIds).toHaveLength(3);
    // The window opens with the first job, whenever the consumer got to it.
    expect(messages[0].nextAttemptAt!.getTime()).toBe(firstJobAt + ACTIVITY_WINDOW_MS);
  });
});

describe('why each is told: recorded at fan-out, not read from the ticket at sending time', () => {
  /** The reasons of the messages to user queued since the last settle. */
  const reasonsOf = async (user: User) =>
    (
      await database.manager.find(OutboxMessage, {
        where: { recipientUserId: user.id, attempts: 0 },
        order: { id: 'ASC' },
      })
    ).map((message) => message.params.reasons);

  test('a watcher who takes the new ticket within the window was told of a new ticket; who loses it, of a former one', async () => {
    const ticket = await tickets.create(reporter, { projectId, title: 'Crash', description: 'At once.' });
    await tickets.update(agent, ticket.id, { assigneeId: String(agent.id) });
    await fanOut();
    expect(await reasonsOf(agent)).toEqual([['newTicket']]);
    expect(await reasonsOf(reporter)).toEqual([['author']]);
    await settle();
    await tickets.update(admin, ticket.id, { assigneeId: String(other.id) });
    await fanOut();
    expect(await reasonsOf(agent)).toEqual([['previousAssignee']]);
    expect(await reasonsOf(other)).toEqual([['assignee']]);
  });

  test('the reporter’s reply to an unassigned ticket: watchers read why', async () => {
    const ticket = await newTicket();
    await tickets.update(reporter, ticket.id, { comment: 'Still there' });
    await fanOut();
    expect(await reasonsOf(admin)).toEqual([['unassignedReply']]);
  });

  test('coalescing keeps the union of the reasons, in a fixed order', () => {
    const merged = mergeActivity(
      { ticketId: 1, actorId: 2, jobIds: [5], reasons: ['previousAssignee'] },
      { ticketId: 1, actorId: 2, jobIds: [4], reasons: ['author', 'previousAssignee'] },
    );
    expect(merged).toEqual({
      ticketId: 1,
      actorId: 2,
      jobIds: [4, 5],
      reasons: ['author', 'previousAssignee'],
    });
  });
});
