import { Arg, Authorized, Ctx, Field, Mutation, ObjectType, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { TokenScope } from '../api-tokens/api-token.entity';
import { User } from '../users/user.entity';
import { LoginInput, RegisterInput } from '../users/user.inputs';
import type { Session } from './auth.service';
import { sessionClaimsOf } from './principal';
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
  // The rest of this request acts as the new session: its user reads their own private fields, and a
  // later mutation in the same request (createApiToken, logout) sees a session principal.
  ctx.principal = { kind: 'session', user: session.user, scope: TokenScope.WRITE, claims: session.claims };
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
    await ctx.services.auth.logout(sessionClaimsOf(ctx.principal));
    clearSessionCookie(ctx.req, ctx.res);
    return true;
  }
}
