import { Field, ObjectType } from 'type-graphql';
import { Webhook } from './webhook.entity';

@ObjectType()
export class CreatedWebhook {
  @Field(() => String, { description: 'The signing secret. Shown only in this answer.' })
  secret: string;

  @Field(() => Webhook)
  webhook: Webhook;
}
