import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ManualClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { EventLog } from '../events/event-log';
import { type Config, defaultConfig } from '../config';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { MessageCancelled } from '../outbox/renderers';
import { ProjectService } from '../projects/project.service';
import { Job } from '../tickets/job.entity';
import { JobRecorder } from '../tickets/job-recorder';
import { TicketStatus } from '../tickets/ticket.enums';
import { TicketService } from '../tickets/ticket.service';
import { Locale, Role } from '../users/role';
import { User } from '../users/user.entity';
import { userServiceFor } from '../../test/support/user-service';
import type { ActivityParams } from './email-notifier';
import { renderTicketActivity } from './ticket-activity.renderer';
import { type UnsubscribeTokens, bindUnsubscribeTokens } from './unsubscribe-token';

const publicUrl = 'https://tickets.example.com';
const jwtSecret = 'a-token-secret-of-at-least-32-characters';

let dataDir: string;
let database: Database;
let tickets: TicketService;
let agent: User;
let reporter: User;
let projectId: string;
let config: Config;
let tokens: UnsubscribeTokens;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'activity-renderer-'));
  database = await openDatabase({ databaseUrl: '', dataDir });
  config = { ...defaultConfig, dataDir, jwtSecret, publicUrl };
  tokens = bindUnsubscribeTokens(config, database);
  const users = userServiceFor(database);
  const register = (username: string) =>
    users.register({ username, email: `${username}@example.com`, password: 'purple elephants dance' });
  const admin = await register('admin');
  agent = await users.setRole(admin, (await register('agent')).id, Role.AGENT);
  reporter = await register('reporter');
  const projects = new ProjectService(database, new ManualClock(Date.UTC(2026, 0, 5, 9)));
  projectId = String((await projects.create(admin, { name: 'App' })).id);
  tickets = new TicketService(
    database,
    new ManualClock(Date.UTC(2026, 0, 5, 9)),
    new JobRecorder(new EventLog(database)),
  );
});

afterAll(async () => {
  await database.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function jobIdsOf(ticketId: number): Promise<number[]> {
  const jobs = await database.manager.find(Job, { where: { ticketId }, order: { id: 'ASC' } });
  return jobs.map((job) => job.id);
}

/** Renders the message a recipient would get for these jobs, as the delivery worker would. */
async function renderFor(recipient: User, locale: Locale, params: ActivityParams) {
  await database.manager.update(User, { id: recipient.id }, { locale, emailVerified: true });
  const message = Object.assign(new OutboxMessage(), {
    recipient: recipient.email,
    recipientUserId: recipient.id,
    params,
  });
  return renderTicketActivity(message, { manager: database.manager, config, publicUrl, now: new Date() });
}

const cancelReason = (work: Promise<unknown>) =>
  work.then(
    () => 'sent',
    (error: unknown) => (error instanceof MessageCancelled ? error.reason : String(error)),
  );

describe('the ticket-activity email', () => {
  test('in English: subject, who did what (from → to), the comment, the link, why and how to stop', async () => {
    const ticket = await tickets.create(reporter, {
      projectId,
      title: 'Search box ignores accents',
      description: 'Typing é finds nothing.',
    });
    await tickets.update(agent, ticket.id, {
      status: TicketStatus.WAITING,
      priority: 'HIGH' as never,
      comment: 'Which browser do you use?',
    });
    const [, jobId] = await jobIdsOf(ticket.id);
    const mail = await renderFor(reporter, Locale.EN, {
      ticketId: ticket.id,
      actorId: agent.id,
      jobIds: [jobId],
    });

    expect(mail.subject).toBe(`[#${ticket.id}] Search box ignores accents`);
    expect(mail.text).toContain('agent commented and changed the ticket');
    expect(mail.text).toContain('Status: Open → Waiting for your answer');
    expect(mail.text).toContain('Priority: Normal → High');
    expect(mail.text).toContain('> Which browser do you use?');
    expect(mail.text).toContain(`Open the ticket: ${publicUrl}/tickets/${ticket.id}`);
    expect(mail.text).toContain('You get this email because you reported this ticket.');
    const token = tokens.issue(reporter.id);
    expect(mail.text).toContain(`Stop these emails: ${publicUrl}/unsubscribe?token=${token}`);
    expect(mail.html).toContain(`<a href="${publicUrl}/tickets/${ticket.id}">Open the ticket</a>`);
    expect(mail.html).toContain('<li>Status: Open → Waiting for your answer</li>');
    expect(mail.headers).toEqual({
      'List-Unsubscribe': `<${publicUrl}/api/unsubscribe/${token}>`,
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
    expect(tokens.verify(token)).toBe(reporter.id);
  });

  test('in French, with status names as staff read them, and the reporter’s answer said to staff', async () => {
    const ticket = await tickets.create(reporter, {
      projectId,
      title: 'Export coupé',
      description: 'Fichier.',
    });
    await tickets.update(agent, ticket.id, { assigneeId: String(agent.id), status: TicketStatus.WAITING });
    await tickets.update(reporter, ticket.id, { comment: 'Firefox 128' });
    const jobIds = (await jobIdsOf(ticket.id)).slice(2);
    const toStaff = await renderFor(agent, Locale.FR, {
      ticketId: ticket.id,
      actorId: reporter.id,
      jobIds,
    });
    expect(toStaff.subject).toBe(`[#${ticket.id}] Export coupé`);
    expect(toStaff.text).toContain('reporter a commenté et modifié le ticket');
    expect(toStaff.text).toContain('Statut\u00a0: En attente du demandeur → Ouvert');
    expect(toStaff.text).toContain('Le demandeur a répondu');
    expect(toStaff.text).toContain(`Voir le ticket\u00a0: ${publicUrl}/tickets/${ticket.id}`);
    expect(toStaff.text).toContain('parce que ce ticket vous est assigné');
    expect(toStaff.html).toContain('<html lang="fr">');

    const opened = await renderFor(agent, Locale.EN, {
      ticketId: ticket.id,
      actorId: reporter.id,
      jobIds: (await jobIdsOf(ticket.id)).slice(0, 1),
    });
    expect(opened.text).toContain('reporter opened the ticket');
    expect(opened.text).toContain('> Fichier.');
  });

  test('the reporter never reads an internal note, even one that slipped into the message', async () => {
    const ticket = await tickets.create(reporter, { projectId, title: 'Slow', description: 'Very.' });
    await tickets.update(agent, ticket.id, { comment: 'The customer is on the old plan', internal: true });
    await tickets.update(agent, ticket.id, { comment: 'Looking into it' });
    const jobIds = (await jobIdsOf(ticket.id)).slice(1);
    const params = { ticketId: ticket.id, actorId: agent.id, jobIds };
    const mail = await renderFor(reporter, Locale.EN, params);
    expect(mail.text).toContain('Looking into it');
    expect(mail.text).not.toContain('old plan');
    expect(mail.html).not.toContain('old plan');
    expect(
      await cancelReason(renderFor(reporter, Locale.EN, { ...params, jobIds: jobIds.slice(0, 1) })),
    ).toBe('nothing in it the recipient may see');
    expect((await renderFor(agent, Locale.EN, params)).text).toContain('added an internal note');
  });

  test('everything user-written is escaped in the HTML part, kept as written in the text part', async () => {
    const ticket = await tickets.create(reporter, {
      projectId,
      title: 'Title <img src=x onerror=alert(1)> & "quotes"',
      description: 'Desc',
    });
    await tickets.update(agent, ticket.id, { comment: '<script>alert("x")</script>\nline & two' });
    const jobIds = (await jobIdsOf(ticket.id)).slice(1);
    const mail = await renderFor(reporter, Locale.EN, { ticketId: ticket.id, actorId: agent.id, jobIds });
    expect(mail.html).not.toMatch(/<script|<img/);
    expect(mail.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\nline &amp; two');
    expect(mail.html).toContain('Title &lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;');
    expect(mail.text).toContain('> <script>alert("x")</script>\n> line & two');
  });

  test('a message queued before the recipient turned notifications off is not sent', async () => {
    const ticket = await tickets.create(reporter, { projectId, title: 'Late', description: 'Late.' });
    await tickets.update(agent, ticket.id, { comment: 'Fixed' });
    const params = { ticketId: ticket.id, actorId: agent.id, jobIds: (await jobIdsOf(ticket.id)).slice(1) };
    await database.manager.update(User, { id: reporter.id }, { notifyByEmail: false });
    expect(await cancelReason(renderFor(reporter, Locale.EN, params))).toBe(
      'the recipient turned email notifications off',
    );
    await database.manager.update(User, { id: reporter.id }, { notifyByEmail: true });
  });

  test('the footer says the reasons recorded at fan-out, not who holds the ticket now', async () => {
    const ticket = await tickets.create(reporter, { projectId, title: 'Taken', description: 'Soon.' });
    await tickets.update(agent, ticket.id, { assigneeId: String(agent.id) });
    const [openedJob] = await jobIdsOf(ticket.id);
    const params = { ticketId: ticket.id, actorId: reporter.id, jobIds: [openedJob] };
    const told = await renderFor(agent, Locale.EN, { ...params, reasons: ['newTicket'] });
    expect(told.text).toContain('You get this email because you asked to be told of new tickets.');
    expect(told.text).not.toContain('assigned to you');
    const former = await renderFor(agent, Locale.FR, { ...params, reasons: ['previousAssignee'] });
    expect(former.text).toContain('parce que ce ticket vous était assigné.');
    expect(former.html).toContain('parce que ce ticket vous était assigné.');
    const both = await renderFor(reporter, Locale.EN, { ...params, reasons: ['author', 'assignee'] });
    expect(both.text).toContain(
      'You get this email because you reported this ticket. You get this email because this ticket is assigned to you.',
    );
  });
});
