import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../clock';
import { type Database, openDatabase } from '../database/data-source';
import { DomainEvent, DomainEventType } from '../events/domain-event.entity';
import { ProjectService } from '../projects/project.service';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { Priority, TicketCategory, TicketStatus } from '../tickets/ticket.enums';
import { Role } from '../users/role';
import { userServiceFor } from '../../test/support/user-service';
import { ALL_WEBHOOK_EVENTS, WebhookEvent, domainEventTypeOf, webhookEventOf } from './webhook-event';
import { latestWantedEvent, webhookWants } from './webhook-matching';

test('domainEventTypeOf and webhookEventOf are inverses over every event', () => {
  for (const event of ALL_WEBHOOK_EVENTS) expect(webhookEventOf(domainEventTypeOf(event))).toBe(event);
  for (const type of Object.values(DomainEventType))
    expect(domainEventTypeOf(webhookEventOf(type))).toBe(type);
});

describe('latestWantedEvent, the SQL form, agrees with webhookWants', () => {
  let dataDir: string;
  let database: Database;
  let projects: number[];
  let events: DomainEvent[];
  let jobs: Map<number, Job>;
  let tickets: Map<number, Ticket>;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'webhook-matching-'));
    database = await openDatabase({ databaseUrl: '', dataDir });
    const admin = await userServiceFor(database).register({
      username: 'admin',
      email: 'admin@example.com',
      password: 'purple elephants dance',
    });
    const projectService = new ProjectService(database, systemClock);
    projects = [
      (await projectService.create(admin, { name: 'Alpha' })).id,
      (await projectService.create(admin, { name: 'Beta' })).id,
    ];
    const now = new Date();
    const manager = database.manager;
    const [alpha, beta] = await Promise.all(
      projects.map((projectId) =>
        manager.save(
          manager.create(Ticket, {
            title: 'A ticket',
            description: 'Broken.',
            status: TicketStatus.OPEN,
            priority: Priority.NORMAL,
            category: TicketCategory.BUG,
            projectId,
            authorId: admin.id,
            assigneeId: null,
            createdAt: now,
            updatedAt: now,
            closedAt: null,
          }),
        ),
      ),
    );
    // Each filter (project, event, internal notes) picks a different newest event from this history.
    const history: [Ticket, DomainEventType, boolean][] = [
      [alpha, DomainEventType.TICKET_OPENED, false],
      [beta, DomainEventType.TICKET_OPENED, false],
      [alpha, DomainEventType.TICKET_UPDATED, false],
      [alpha, DomainEventType.TICKET_UPDATED, true],
      [beta, DomainEventType.TICKET_UPDATED, false],
      [beta, DomainEventType.TICKET_UPDATED, true],
    ];
    for (const [ticket, type, internal] of history) {
      const job = await manager.save(
        manager.create(Job, {
          ticketId: ticket.id,
          authorId: admin.id,
          authorRole: Role.ADMIN,
          createdAt: now,
          comment: internal ? 'Staff only.' : 'Looking.',
          internal,
          status: TicketStatus.OPEN,
          changes: [],
        }),
      );
      await manager.save(
        manager.create(DomainEvent, {
          type,
          ticketId: ticket.id,
          jobId: job.id,
          actorId: admin.id,
          createdAt: now,
        }),
      );
    }
    events = await manager.find(DomainEvent, { order: { id: 'ASC' } });
    jobs = new Map((await manager.find(Job)).map((job) => [job.id, job]));
    tickets = new Map([alpha, beta].map((ticket) => [ticket.id, ticket]));
  });

  afterAll(async () => {
    await database.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const eventSets = [[WebhookEvent.TICKET_OPENED], [WebhookEvent.TICKET_UPDATED], [...ALL_WEBHOOK_EVENTS]];
  const cases = [null, 0, 1].flatMap((project) =>
    eventSets.flatMap((webhookEvents) =>
      [false, true].map((includeInternal) => ({ project, events: webhookEvents, includeInternal })),
    ),
  );

  test.each(cases)('project $project, events $events, includeInternal $includeInternal', async (filter) => {
    const webhook = {
      active: true,
      projectId: filter.project === null ? null : projects[filter.project],
      events: filter.events,
      includeInternal: filter.includeInternal,
    };
    const wanted = events.filter((event) =>
      webhookWants(webhook, {
        event: webhookEventOf(event.type),
        projectId: tickets.get(event.ticketId)!.projectId,
        job: jobs.get(event.jobId)!,
      }),
    );
    const latest = await latestWantedEvent(database.manager, webhook);
    expect(latest?.id).toBe(wanted.at(-1)?.id);
    expect(wanted.length).toBeGreaterThan(0);
  });

  test('the cases do not all land on one event', async () => {
    const found = new Set<number | undefined>();
    for (const filter of cases) {
      const webhook = {
        projectId: filter.project === null ? null : projects[filter.project],
        events: filter.events,
        includeInternal: filter.includeInternal,
      };
      found.add((await latestWantedEvent(database.manager, webhook))?.id);
    }
    expect(found.size).toBe(events.length);
  });
});
