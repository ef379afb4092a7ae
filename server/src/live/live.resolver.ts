import { Arg, Authorized, ID, Resolver, Root, type SubscribeResolverData, Subscription } from 'type-graphql';
import type { Context } from '../context';
import { parseId } from '../ids';
import { Job } from '../tickets/job.entity';
import { jobAdded, ticketUpdated } from './live-subscriptions';

type Subscribing<A> = SubscribeResolverData<unknown, A, Context>;

/** The Subscription type (live.graphql), served over graphql-ws (live-server.ts); the work is in live/. */
@Resolver()
export class LiveResolver {
  @Authorized()
  @Subscription(() => Job, {
    description: 'Each new job of this ticket that the caller may see, as it is written.',
    subscribe: ({ args, context }: Subscribing<{ id: string }>) =>
      ticketUpdated(context, parseId('id', args.id)),
  })
  ticketUpdated(@Arg('id', () => ID) _id: string, @Root() job: Job): Job {
    return job;
  }

  @Authorized()
  @Subscription(() => Job, {
    description:
      'Each new job the caller may see (a USER: their own tickets, no internal notes), on one project or all.',
    subscribe: ({ args, context }: Subscribing<{ projectId?: string | null }>) =>
      jobAdded(context, args.projectId == null ? null : parseId('projectId', args.projectId)),
  })
  jobAdded(@Arg('projectId', () => ID, { nullable: true }) _projectId: string | null, @Root() job: Job): Job {
    return job;
  }
}
