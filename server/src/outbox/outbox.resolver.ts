import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { parseId } from '../ids';
import { Role } from '../users/role';
import { OutboxMessageConnection } from './outbox-connection';
import { OutboxArgs } from './outbox.inputs';
import { OutboxMessage } from './outbox-message.entity';

@Resolver(() => OutboxMessage)
export class OutboxResolver {
  @Authorized(Role.ADMIN)
  @Query(() => OutboxMessageConnection, {
    description:
      'ADMIN only: what the service sent, is sending, or gave up on, newest first. first is 1 to 100.',
  })
  outbox(@Args(() => OutboxArgs) args: OutboxArgs, @Ctx() ctx: Context): Promise<OutboxMessageConnection> {
    return ctx.services.outboxMessages.list(ctx.user!, args);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => OutboxMessage, {
    description: 'ADMIN only: puts a FAILED message back in the queue, to be tried again now.',
  })
  retryOutboxMessage(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<OutboxMessage> {
    return ctx.services.outboxMessages.retry(ctx.user!, parseId('id', id));
  }
}
