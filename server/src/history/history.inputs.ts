import { IsInt, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';

export const HISTORY_PAGE_MAX = 500;

@InputType({
  description:
    'Narrows the history feed. A USER only ever sees jobs of their own tickets, without internal notes.',
})
export class HistoryFilter {
  @Field(() => ID, { nullable: true, description: "The ticket's current project." })
  projectId?: string | null;

  @Field(() => ID, { nullable: true })
  ticketId?: string | null;

  @Field(() => Date, { nullable: true, description: 'Only jobs created strictly after this instant.' })
  since?: Date | null;
}

// An ArgsType keeps the contract's argument order in the schema (TypeGraphQL lists separate @Arg in reverse).
@ArgsType()
export class HistoryArgs {
  @Field(() => HistoryFilter, { nullable: true })
  @ValidateNested()
  filter?: HistoryFilter | null;

  @Field(() => Int, { nullable: true, defaultValue: 100, description: 'first is 1 to 500.' })
  @IsInt({ message: 'first must be a whole number.' })
  @Min(1, { message: `first must be 1 to ${HISTORY_PAGE_MAX}.` })
  @Max(HISTORY_PAGE_MAX, { message: `first must be 1 to ${HISTORY_PAGE_MAX}.` })
  first: number;

  @Field(() => String, { nullable: true })
  @MaxLength(500, { message: 'after must be a cursor returned by this API.' })
  after?: string | null;
}
