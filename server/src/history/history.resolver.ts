import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { HistoryArgs } from './history.inputs';
import { JobConnection } from './history.types';

@Resolver()
export class HistoryResolver {
  @Authorized()
  @Query(() => JobConnection, {
    description:
      'Every job over the tickets the caller may see, oldest first: the feed an integration reads to stay in sync. first is 1 to 500.',
  })
  history(@Args(() => HistoryArgs) args: HistoryArgs, @Ctx() ctx: Context): Promise<JobConnection> {
    return ctx.services.history.list(ctx.user!, args);
  }
}
