import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { type OutboxMessage, OutboxState } from '../outbox/outbox-message.entity';
import { deliveryParamsOf } from './webhook-deliveries';
import { WebhookEvent } from './webhook-event';

export enum DeliveryState {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}
registerEnumType(DeliveryState, {
  name: 'DeliveryState',
  valuesConfig: { FAILED: { description: 'Gave up after its retries; kept with its last error.' } },
});

/** CANCELLED (the webhook was paused or deleted) reads as FAILED; lastError says why. */
const stateOfMessage: Record<OutboxState, DeliveryState> = {
  [OutboxState.PENDING]: DeliveryState.PENDING,
  [OutboxState.SENT]: DeliveryState.DELIVERED,
  [OutboxState.FAILED]: DeliveryState.FAILED,
  [OutboxState.CANCELLED]: DeliveryState.FAILED,
};

/** One delivery of a job to a webhook: its outbox message, as the admin sees it. job: WebhookResolver. */
@ObjectType()
export class WebhookDelivery {
  @Field(() => ID)
  id: number;

  @Field(() => WebhookEvent)
  event: WebhookEvent;

  ticketId: number;

  jobId: number;

  @Field(() => Int, {
    nullable: true,
    description: 'HTTP status answered by the receiver; null when it could not be reached.',
  })
  responseStatus: number | null;

  @Field(() => Int)
  attempts: number;

  @Field(() => DeliveryState)
  state: DeliveryState;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => String, { nullable: true })
  lastError: string | null;

  @Field(() => Date, {
    nullable: true,
    description: 'When a PENDING delivery will be tried (again); null once it is delivered or failed.',
  })
  nextAttemptAt: Date | null;

  static of(message: OutboxMessage): WebhookDelivery {
    const { event, ticketId, jobId } = deliveryParamsOf(message);
    return Object.assign(new WebhookDelivery(), {
      id: message.id,
      event,
      ticketId,
      jobId,
      responseStatus: message.responseStatus,
      attempts: message.attempts,
      state: stateOfMessage[message.state],
      createdAt: message.createdAt,
      lastError: message.lastError,
      nextAttemptAt: message.state === OutboxState.PENDING ? message.nextAttemptAt : null,
    });
  }
}
