import type { EntityManager, QueryDeepPartialEntity } from 'typeorm';
import type { Outbox } from '../outbox/outbox';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { type JobSource, webhookBody, webhookJob } from './webhook-payload';
import type { WebhookEvent } from './webhook-event';
import type { Webhook } from './webhook.entity';

export const WEBHOOK_CHANNEL = 'webhook';
/** The outbox template of a delivery; the body is written when queued, nothing is rendered. */
export const WEBHOOK_TEMPLATE = 'webhook-delivery';

/** What a delivery's outbox message keeps: whom it is for, what it is about, and the body to POST. */
export interface WebhookDeliveryParams {
  webhookId: number;
  event: WebhookEvent;
  ticketId: number;
  jobId: number;
  body: string;
}

/** One webhook's deliveries share it: they go out one at a time, in job order. */
export const deliveryOrderKey = (webhookId: number): string => `webhook:${webhookId}`;

export function deliveryParamsOf(message: OutboxMessage): WebhookDeliveryParams {
  return message.params as unknown as WebhookDeliveryParams;
}

/**
 * Queues one delivery in the caller's transaction. Its id is the X-Delivery-Id and is part of the body,
 * so the body is written right after the insert: the same bytes for every try.
 */
export async function enqueueWebhookDelivery(
  manager: EntityManager,
  outbox: Outbox,
  webhook: Webhook,
  event: WebhookEvent,
  source: JobSource,
): Promise<OutboxMessage> {
  const message = await outbox.enqueue(manager, {
    channel: WEBHOOK_CHANNEL,
    recipient: webhook.url,
    recipientUserId: null,
    template: WEBHOOK_TEMPLATE,
    params: { webhookId: webhook.id, event, ticketId: source.ticket.id, jobId: source.job.id },
    subject: `${event} #${source.ticket.id}, job ${source.job.id}`,
    orderKey: deliveryOrderKey(webhook.id),
  });
  message.params = { ...message.params, body: webhookBody(event, message.id, webhookJob(source)) };
  await manager.update(OutboxMessage, message.id, {
    params: message.params,
  } as QueryDeepPartialEntity<OutboxMessage>);
  return message;
}
