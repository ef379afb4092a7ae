import { registerEnumType } from 'type-graphql';
import { DomainEventType } from '../events/domain-event.entity';

export enum WebhookEvent {
  TICKET_OPENED = 'TICKET_OPENED',
  TICKET_UPDATED = 'TICKET_UPDATED',
}
registerEnumType(WebhookEvent, {
  name: 'WebhookEvent',
  valuesConfig: {
    TICKET_OPENED: { description: 'A ticket was opened (its first job).' },
    TICKET_UPDATED: {
      description:
        'Any later job: a change, a comment. Internal notes only reach webhooks that ask for them.',
    },
  },
});

export const ALL_WEBHOOK_EVENTS: readonly WebhookEvent[] = [
  WebhookEvent.TICKET_OPENED,
  WebhookEvent.TICKET_UPDATED,
];

const eventOfDomainEvent: Record<DomainEventType, WebhookEvent> = {
  [DomainEventType.TICKET_OPENED]: WebhookEvent.TICKET_OPENED,
  [DomainEventType.TICKET_UPDATED]: WebhookEvent.TICKET_UPDATED,
};

export function webhookEventOf(type: DomainEventType): WebhookEvent {
  return eventOfDomainEvent[type];
}

const domainEventOfEvent: Record<WebhookEvent, DomainEventType> = {
  [WebhookEvent.TICKET_OPENED]: DomainEventType.TICKET_OPENED,
  [WebhookEvent.TICKET_UPDATED]: DomainEventType.TICKET_UPDATED,
};

export function domainEventTypeOf(event: WebhookEvent): DomainEventType {
  return domainEventOfEvent[event];
}
