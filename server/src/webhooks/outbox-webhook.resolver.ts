import { FieldResolver, Resolver, Root } from 'type-graphql';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { WebhookDelivery } from './webhook-delivery';
import { WEBHOOK_CHANNEL } from './webhook-deliveries';

/** The outbox lists webhook deliveries too: what each one is, for a client to say in its own language. */
@Resolver(() => OutboxMessage)
export class OutboxWebhookResolver {
  @FieldResolver(() => WebhookDelivery, {
    nullable: true,
    description: 'For channel webhook: the delivery (its event and job); null for an email.',
  })
  webhookDelivery(@Root() message: OutboxMessage): WebhookDelivery | null {
    return message.channel === WEBHOOK_CHANNEL ? WebhookDelivery.of(message) : null;
  }
}
