import { ArgsType, Field } from 'type-graphql';
import { PageArgs } from '../page.args';
import { OutboxState } from './outbox-message.entity';

@ArgsType()
export class OutboxArgs extends PageArgs {
  @Field(() => OutboxState, { nullable: true })
  state?: OutboxState;
}
