import { Length, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType, Int } from 'type-graphql';
import { NotBlank, VisibleLength, WellFormed } from '../text';

export const SAVED_VIEW_NAME_MAX = 60;
export const SAVED_VIEW_QUERY_MAX = 500;

@InputType({
  description:
    'Without id: creates a view, or replaces the query of the caller’s view of that name (any case). With id: renames that view and replaces its query.',
})
export class SaveViewInput {
  @Field(() => ID, { nullable: true })
  id?: string;

  @Field(() => String)
  @VisibleLength(1, SAVED_VIEW_NAME_MAX, `name must be 1 to ${SAVED_VIEW_NAME_MAX} characters long.`)
  @MaxLength(SAVED_VIEW_NAME_MAX, { message: `name must be 1 to ${SAVED_VIEW_NAME_MAX} characters long.` })
  @NotBlank('name')
  @WellFormed()
  name: string;

  @Field(() => String, { description: 'The filter in the query-bar language; may be empty (every ticket).' })
  @Length(0, SAVED_VIEW_QUERY_MAX, {
    message: `query must be at most ${SAVED_VIEW_QUERY_MAX} characters long.`,
  })
  @WellFormed()
  query: string;
}

@ArgsType()
export class MoveViewArgs {
  @Field(() => ID)
  id: string;

  @Field(() => Int, { description: 'The new place, from 0; past the end means last.' })
  position: number;
}
