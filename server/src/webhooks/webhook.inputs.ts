import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { ValidateNested } from 'class-validator';
import { WebhookEvent } from './webhook-event';

@InputType()
export class CreateWebhookInput {
  @Field(() => String, {
    description: "https, or http for a host the administrator allowed (see the service's configuration).",
  })
  url: string;

  @Field(() => ID, { nullable: true })
  projectId?: string | null;

  @Field(() => [WebhookEvent], { nullable: true, description: 'Default: every event.' })
  events?: WebhookEvent[] | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false })
  includeInternal?: boolean | null;
}

@InputType()
export class UpdateWebhookInput {
  @Field(() => String, { nullable: true })
  url?: string | null;

  @Field(() => [WebhookEvent], { nullable: true })
  events?: WebhookEvent[] | null;

  @Field(() => Boolean, { nullable: true })
  includeInternal?: boolean | null;

  @Field(() => Boolean, { nullable: true })
  active?: boolean | null;
}

// An ArgsType keeps the contract's argument order in the schema (TypeGraphQL lists separate @Arg in reverse).
@ArgsType()
export class UpdateWebhookArgs {
  @Field(() => ID)
  id: string;

  @Field(() => UpdateWebhookInput)
  @ValidateNested()
  input: UpdateWebhookInput;
}
