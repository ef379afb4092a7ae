import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { ForbiddenError } from '../errors';
import { User } from '../users/user.entity';
import { LoginInput, RegisterInput } from '../users/user.inputs';
import type { Session } from './auth.service';
import { clearSessionCookie, setSessionCookie } from './session-cookie';

@ObjectType()
export class AuthPayload {
  @Field(() => String)
  token: string;

  @Field(() => User)
  user: User;
}

function startSession(ctx: Context, session: Session): AuthPayload {
  setSessionCookie(ctx.req, ctx.res, session.token, session.expiresAt);
  // The new user may read their own private fields in this same response.
  ctx.user = session.user;
  return { token: session.token, user: session.user };
}

@Resolver()
export class AuthResolver {
  @Mutation(() => AuthPayload)
  async register(
    @Arg('input', () => RegisterInput) input: RegisterInput,
    @Ctx() ctx: Context,
  ): Promise<AuthPayload> {
    return startSession(ctx, await ctx.services.auth.register(input, ctx.clientAddress));
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('input', () => LoginInput) input: LoginInput, @Ctx() ctx: Context): Promise<AuthPayload> {
    return startSession(ctx, await ctx.services.auth.login(input, ctx.clientAddress));
  }

  @Authorized()
  @Mutation(() => Boolean, {
    description: 'Ends the current session: the token used for this call is no longer accepted.',
  })
  async logout(@Ctx() ctx: Context): Promise<boolean> {
    if (ctx.principal?.kind !== 'session') {
      throw new ForbiddenError('logout ends a session; an API token is ended with revokeApiToken.');
    }
    await ctx.services.auth.logout(ctx.principal.claims);
    clearSessionCookie(ctx.req, ctx.res);
    return true;
  }
}
