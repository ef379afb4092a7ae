import { IsInt, Max, MaxLength, Min } from 'class-validator';
import {
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import type { Context } from '../context';
import { duplicateLoadersOf } from './duplicate-of.loader';
import { SIMILAR_TEXT_MAX_LENGTH, SIMILAR_TICKETS_MAX, duplicateServiceOf } from './duplicates';
import { Ticket } from './ticket.entity';

// An ArgsType keeps the contract's argument order in the schema (TypeGraphQL lists separate @Arg in reverse).
@ArgsType()
class SimilarTicketsArgs {
  @Field(() => String)
  @MaxLength(SIMILAR_TEXT_MAX_LENGTH, {
    message: `text must be at most ${SIMILAR_TEXT_MAX_LENGTH} characters long.`,
  })
  text: string;

  @Field(() => ID, { nullable: true })
  projectId?: string;

  @Field(() => Int, { nullable: true, defaultValue: 5 })
  @IsInt({ message: 'first must be a whole number.' })
  @Min(1, { message: `first must be 1 to ${SIMILAR_TICKETS_MAX}.` })
  @Max(SIMILAR_TICKETS_MAX, { message: `first must be 1 to ${SIMILAR_TICKETS_MAX}.` })
  first: number;
}

@Resolver(() => Ticket)
export class DuplicateResolver {
  @Authorized()
  @Query(() => [Ticket], {
    description:
      'While a reporter types a title: tickets the caller may see that look alike, best first. first is 1 to 10.',
  })
  similarTickets(
    @Args(() => SimilarTicketsArgs) args: SimilarTicketsArgs,
    @Ctx() ctx: Context,
  ): Promise<Ticket[]> {
    return duplicateServiceOf(ctx.services.database).similarTickets(ctx.user!, args);
  }

  @FieldResolver(() => [Ticket], {
    nullable: true,
    description:
      'Staff only (null for a USER): open tickets whose text is most like this one, best first, at most 5.',
  })
  possibleDuplicates(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Ticket[] | null> | null {
    return ctx.user ? duplicateServiceOf(ctx.services.database).possibleDuplicates(ctx.user, ticket) : null;
  }

  @FieldResolver(() => Ticket, {
    nullable: true,
    description: 'Set when the ticket was closed as a duplicate.',
  })
  duplicateOf(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Ticket | null> | null {
    return ctx.user
      ? duplicateServiceOf(ctx.services.database).duplicateOf(ctx.user, ticket, duplicateLoadersOf(ctx))
      : null;
  }
}
