import type { EntityManager } from 'typeorm';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { WebhookDelivery } from './webhook-delivery';
import { deliveryOrderKey } from './webhook-deliveries';

/** Deliveries listed per webhook, newest first. */
export const RECENT_DELIVERIES = 20;

/**
 * The last deliveries of each webhook, newest first, in one query: each webhook's messages are ranked
 * by a window function (SQLite ≥ 3.25 and PostgreSQL), not counted row by row.
 */
export async function recentDeliveriesOf(
  manager: EntityManager,
  webhookIds: readonly number[],
): Promise<WebhookDelivery[][]> {
  const keys = webhookIds.map(deliveryOrderKey);
  const messages = await manager
    .createQueryBuilder(OutboxMessage, 'm')
    .innerJoin(
      (ranked) =>
        ranked
          .select('n.id', 'id')
          .addSelect('ROW_NUMBER() OVER (PARTITION BY n.orderKey ORDER BY n.id DESC)', 'recency')
          .from(OutboxMessage, 'n')
          .where('n.orderKey IN (:...keys)', { keys }),
      'r',
      'r.id = m.id',
    )
    .where('r.recency <= :recent', { recent: RECENT_DELIVERIES })
    .orderBy('m.id', 'DESC')
    .getMany();
  return keys.map((key) =>
    messages.filter((message) => message.orderKey === key).map((message) => WebhookDelivery.of(message)),
  );
}
