import {
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { Context } from '../context';
import { parseOptionalId } from '../ids';
import { Stats } from './stats.types';
import { TeamMemberFigures } from './team-figures.types';

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

  @FieldResolver(() => [TeamMemberFigures], {
    description:
      'The team table, for AGENT and ADMIN (empty for a USER): every active staff member, zeros included, and anyone else still holding open tickets or having resolved some in the period; most open work first. Open work is counted now, in the chosen project; resolved tickets by their closing date in the period (from/to), not their opening.',
  })
  team(@Root() stats: Stats, @Ctx() ctx: Context): Promise<TeamMemberFigures[]> {
    return ctx.services.stats.team(ctx.user!, stats.scope);
  }
}
