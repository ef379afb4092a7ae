import { type EntityManager, In } from 'typeorm';
import type { DomainEvent } from '../events/domain-event.entity';
import type { EventConsumer } from '../events/event-consumers';
import type { Outbox } from '../outbox/outbox';
import { Project } from '../projects/project.entity';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { User } from '../users/user.entity';
import { enqueueWebhookDelivery } from './webhook-deliveries';
import { webhookEventOf } from './webhook-event';
import { webhookWants } from './webhook-matching';
import { Webhook } from './webhook.entity';

/**
 * The webhooks' consumer of the event log: each job becomes one delivery per active webhook that wants
 * it, queued in the transaction that moves the consumer's cursor, in job order.
 */
export class WebhookNotifier implements EventConsumer {
  readonly name = 'webhooks';

  constructor(private readonly outbox: Outbox) {}

  async handle(manager: EntityManager, events: DomainEvent[]): Promise<void> {
    if (events.length === 0) return;
    const webhooks = await manager.find(Webhook, { where: { active: true }, order: { id: 'ASC' } });
    if (webhooks.length === 0) return;
    const [tickets, jobs] = await Promise.all([
      manager.findBy(Ticket, { id: In([...new Set(events.map((event) => event.ticketId))]) }),
      manager.findBy(Job, { id: In(events.map((event) => event.jobId)) }),
    ]);
    const [projects, authors] = await Promise.all([
      manager.findBy(Project, { id: In([...new Set(tickets.map((ticket) => ticket.projectId))]) }),
      manager.findBy(User, { id: In([...new Set(jobs.map((job) => job.authorId))]) }),
    ]);
    const byId = <T extends { id: number }>(rows: T[], id: number) => rows.find((row) => row.id === id);

    for (const domainEvent of events) {
      const ticket = byId(tickets, domainEvent.ticketId);
      const job = byId(jobs, domainEvent.jobId);
      const project = ticket && byId(projects, ticket.projectId);
      const author = job && byId(authors, job.authorId);
      if (!ticket || !job || !project || !author) continue;
      const event = webhookEventOf(domainEvent.type);
      for (const webhook of webhooks) {
        if (!webhookWants(webhook, { event, projectId: ticket.projectId, job })) continue;
        await enqueueWebhookDelivery(manager, this.outbox, webhook, event, { job, ticket, project, author });
      }
    }
  }
}
