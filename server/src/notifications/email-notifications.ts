import type { EventConsumer } from '../events/event-consumers';
import type { Outbox } from '../outbox/outbox';
import { registerRenderer } from '../outbox/renderers';
import { EmailNotifier, TICKET_ACTIVITY_TEMPLATE } from './email-notifier';
import { renderTicketActivity } from './ticket-activity.renderer';

/**
 * Email notifications of ticket activity: the consumer that queues one message per person told, and
 * the renderer that writes it when it is sent. services.ts adds the consumer to its event consumers.
 */
export function emailNotifications(outbox: Outbox): EventConsumer {
  registerRenderer(TICKET_ACTIVITY_TEMPLATE, renderTicketActivity);
  return new EmailNotifier(outbox);
}
