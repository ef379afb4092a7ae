import { Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/password';

@InputType()
export class ResetPasswordInput {
  @Field(() => String, { description: 'The token from the reset email.' })
  @Length(1, 200, { message: 'token must be 1 to 200 characters long.' })
  token: string;

  @Field(() => String)
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `newPassword must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
  })
  newPassword: string;
}
