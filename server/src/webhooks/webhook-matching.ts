import { type EntityManager, In } from 'typeorm';
import { webhookReceivesJob, whereJobReachesWebhook } from '../access/access-policy';
import { DomainEvent } from '../events/domain-event.entity';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { domainEventTypeOf, type WebhookEvent } from './webhook-event';
import type { Webhook } from './webhook.entity';

/** A job as a webhook's filters see it. */
export interface DeliveryCandidate {
  event: WebhookEvent;
  projectId: number;
  job: Pick<Job, 'internal'>;
}

/** Whether an active webhook gets this job: its project (or all), one of its events, the access rule. */
export function webhookWants(
  webhook: Pick<Webhook, 'active' | 'events' | 'projectId' | 'includeInternal'>,
  candidate: DeliveryCandidate,
): boolean {
  return (
    webhook.active &&
    webhook.events.includes(candidate.event) &&
    (webhook.projectId === null || webhook.projectId === candidate.projectId) &&
    webhookReceivesJob(webhook, candidate.job)
  );
}

/** The SQL form of webhookWants (active aside): the newest event the webhook would be sent. */
export function latestWantedEvent(
  manager: EntityManager,
  webhook: Pick<Webhook, 'events' | 'projectId' | 'includeInternal'>,
): Promise<DomainEvent | null> {
  const query = manager
    .createQueryBuilder(DomainEvent, 'e')
    .innerJoin(Job, 'j', 'j.id = e.jobId')
    .innerJoin(Ticket, 't', 't.id = e.ticketId')
    .where({ type: In(webhook.events.map(domainEventTypeOf)) });
  if (webhook.projectId !== null)
    query.andWhere('t.projectId = :projectId', { projectId: webhook.projectId });
  return whereJobReachesWebhook(query, webhook, 'j').orderBy('e.id', 'DESC').limit(1).getOne();
}
