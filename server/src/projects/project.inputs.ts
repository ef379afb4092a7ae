import { MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { NotBlank, VisibleLength, WellFormed } from '../text';

@InputType()
export class CreateProjectInput {
  @Field(() => String)
  @VisibleLength(2, 80, 'name must be 2 to 80 characters long.')
  @NotBlank('name')
  name: string;

  @Field(() => String, { nullable: true })
  @MaxLength(2000, { message: 'description must be at most 2000 characters long.' })
  @WellFormed()
  description?: string;
}

@InputType()
export class UpdateProjectInput {
  @Field(() => String, { nullable: true })
  @VisibleLength(2, 80, 'name must be 2 to 80 characters long.')
  @NotBlank('name')
  name?: string;

  @Field(() => String, { nullable: true })
  @MaxLength(2000, { message: 'description must be at most 2000 characters long.' })
  @WellFormed()
  description?: string;

  @Field(() => Boolean, { nullable: true })
  archived?: boolean;
}
