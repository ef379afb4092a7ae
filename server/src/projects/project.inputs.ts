import { Length, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { NotBlank } from '../text';

@InputType()
export class CreateProjectInput {
  @Field(() => String)
  @Length(2, 80, { message: 'name must be 2 to 80 characters long.' })
  @NotBlank('name')
  name: string;

  @Field(() => String, { nullable: true })
  @MaxLength(2000, { message: 'description must be at most 2000 characters long.' })
  description?: string;
}

@InputType()
export class UpdateProjectInput {
  @Field(() => String, { nullable: true })
  @Length(2, 80, { message: 'name must be 2 to 80 characters long.' })
  @NotBlank('name')
  name?: string;

  @Field(() => String, { nullable: true })
  @MaxLength(2000, { message: 'description must be at most 2000 characters long.' })
  description?: string;

  @Field(() => Boolean, { nullable: true })
  archived?: boolean;
}
