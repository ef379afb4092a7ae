import { Args, ArgsType, Authorized, Ctx, Field, ID, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { parseOptionalId } from '../ids';
import { Stats } from './stats.types';

// An ArgsType keeps the contract's argument order in the schema (TypeGraphQL lists separate @Arg in reverse).
@ArgsType()
class StatsArgs {
  @Field(() => ID, { nullable: true })
  projectId?: string | null;

  @Field(() => Date, { nullable: true })
  from?: Date | null;

  @Field(() => Date, { nullable: true })
  to?: Date | null;
}

@Resolver(() => Stats)
export class StatsResolver {
  @Authorized()
  @Query(() => Stats)
  stats(@Args(() => StatsArgs) { projectId, from, to }: StatsArgs, @Ctx() ctx: Context): Promise<Stats> {
    return ctx.services.stats.stats(ctx.user!, {
      projectId: parseOptionalId('projectId', projectId),
      from,
      to,
    });
  }
}
