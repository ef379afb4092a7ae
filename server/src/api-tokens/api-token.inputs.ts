import { IsInt, Max, Min } from 'class-validator';
import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { NotBlank, VisibleLength, WellFormed } from '../text';
import { ApiToken, TokenScope } from './api-token.entity';

export const MAX_EXPIRY_DAYS = 365;

@InputType()
export class CreateApiTokenInput {
  @Field(() => String)
  @VisibleLength(1, 100, 'name must be 1 to 100 characters long.')
  @NotBlank('name')
  @WellFormed()
  name: string;

  @Field(() => TokenScope)
  scope: TokenScope;

  @Field(() => Int, {
    nullable: true,
    description: 'Days until it expires, 1 to 365; omitted: never (ADMIN may choose that, others get 90).',
  })
  @IsInt({ message: 'expiresInDays must be a whole number of days.' })
  @Min(1, { message: `expiresInDays must be 1 to ${MAX_EXPIRY_DAYS}.` })
  @Max(MAX_EXPIRY_DAYS, { message: `expiresInDays must be 1 to ${MAX_EXPIRY_DAYS}.` })
  expiresInDays?: number;
}

@ObjectType()
export class CreatedApiToken {
  @Field(() => String, {
    description: 'The secret, sent as `Authorization: Bearer <secret>`. Shown only in this answer.',
  })
  secret: string;

  @Field(() => ApiToken)
  apiToken: ApiToken;
}
