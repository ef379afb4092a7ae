import { IsEmail, Length, Matches, MaxLength } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/password';
import { Locale } from './role';

export const USERNAME_PATTERN = /^[A-Za-z0-9._-]+$/;

@InputType()
export class RegisterInput {
  @Field(() => String)
  @Length(3, 32, { message: 'username must be 3 to 32 characters long.' })
  @Matches(USERNAME_PATTERN, { message: 'username may only contain letters, digits, ".", "_" and "-".' })
  username: string;

  @Field(() => String)
  @MaxLength(254, { message: 'email must be at most 254 characters long.' })
  @IsEmail({}, { message: 'email must be a valid email address.' })
  email: string;

  @Field(() => String)
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `password must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
  })
  password: string;
}

@InputType()
export class LoginInput {
  @Field(() => String, { description: 'Email or username.' })
  @Length(1, 254, { message: 'login must be 1 to 254 characters long.' })
  login: string;

  @Field(() => String)
  @Length(1, 1024, { message: 'password must be 1 to 1024 characters long.' })
  password: string;
}

@InputType()
export class UpdateMeInput {
  @Field(() => String, { nullable: true })
  @MaxLength(254, { message: 'email must be at most 254 characters long.' })
  @IsEmail({}, { message: 'email must be a valid email address.' })
  email?: string;

  @Field(() => Locale, { nullable: true })
  locale?: Locale;

  @Field(() => Boolean, { nullable: true })
  notifyByEmail?: boolean;

  @Field(() => Boolean, { nullable: true })
  notifyNewTickets?: boolean;

  @Field(() => String, { nullable: true, description: 'Required with newPassword or a new email.' })
  @Length(1, 1024, { message: 'currentPassword must be 1 to 1024 characters long.' })
  currentPassword?: string;

  @Field(() => String, { nullable: true })
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, {
    message: `newPassword must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
  })
  newPassword?: string;
}
