import { Arg, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { parseId } from '../ids';
import { ApiToken } from './api-token.entity';
import { CreateApiTokenInput, CreatedApiToken } from './api-token.inputs';

@Resolver(() => ApiToken)
export class ApiTokenResolver {
  @Authorized()
  @Query(() => [ApiToken], { description: "The caller's own tokens (never their secrets)." })
  apiTokens(@Ctx() ctx: Context): Promise<ApiToken[]> {
    return ctx.services.apiTokens.list(ctx.user!);
  }

  @Authorized()
  @Mutation(() => CreatedApiToken)
  createApiToken(
    @Arg('input', () => CreateApiTokenInput) input: CreateApiTokenInput,
    @Ctx() ctx: Context,
  ): Promise<CreatedApiToken> {
    return ctx.services.apiTokens.create(ctx.principal, input);
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: "Revokes one of the caller's tokens (ADMIN: anyone's). Takes effect on the next request.",
  })
  revokeApiToken(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.apiTokens.revoke(ctx.user!, parseId('id', id));
  }
}
