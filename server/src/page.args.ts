import { IsInt, Max, MaxLength, Min } from 'class-validator';
import { ArgsType, Field, Int } from 'type-graphql';

/** `first` and `after` of every cursor-paginated list: lists extend it with their own filters. */
@ArgsType()
export class PageArgs {
  @Field(() => Int, { nullable: true, defaultValue: 20, description: 'first is 1 to 100.' })
  @IsInt({ message: 'first must be a whole number.' })
  @Min(1, { message: 'first must be 1 to 100.' })
  @Max(100, { message: 'first must be 1 to 100.' })
  first: number;

  @Field(() => String, { nullable: true })
  @MaxLength(500, { message: 'after must be a cursor returned by this API.' })
  after?: string;
}
