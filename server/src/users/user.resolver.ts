import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { canSeeDeactivated, canSeePrivateUserFields } from '../access/access-policy';
import { assertMayChangeCredentials } from '../auth/principal';
import { setSessionCookie } from '../auth/session-cookie';
import type { Context } from '../context';
import { parseId } from '../ids';
import { isDeactivated } from './deactivation';
import { Role, isStaff } from './role';
import { User } from './user.entity';
import { UpdateMeInput } from './user.inputs';

// An ArgsType keeps the contract's argument order in the schema (TypeGraphQL lists separate @Arg in reverse).
@ArgsType()
class SetUserRoleArgs {
  @Field(() => ID)
  userId: string;

  @Field(() => Role)
  role: Role;
}

@ArgsType()
class SetUserDeactivatedArgs {
  @Field(() => ID)
  userId: string;

  @Field(() => Boolean)
  deactivated: boolean;
}

@Resolver(() => User)
export class UserResolver {
  @Query(() => User, { nullable: true, description: 'The signed-in user, or null when not signed in.' })
  me(@Ctx() ctx: Context): User | null {
    return ctx.user;
  }

  // No sign-in: the first visitor has no account to sign in with.
  @Query(() => Boolean, {
    description: 'True while the service has no account: the first account to register becomes ADMIN.',
  })
  setupNeeded(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.users.setupNeeded();
  }

  @Authorized(Role.ADMIN)
  @Query(() => [User], { description: 'ADMIN only.' })
  users(@Ctx() ctx: Context): Promise<User[]> {
    return ctx.services.users.list();
  }

  @Authorized(Role.AGENT, Role.ADMIN)
  @Query(() => [User], {
    description: 'AGENT and ADMIN: the users a ticket can be assigned to (agents and admins), by username.',
  })
  assignees(@Ctx() ctx: Context): Promise<User[]> {
    return ctx.services.users.listStaff();
  }

  @Authorized()
  @Mutation(() => User)
  async updateMe(
    @Arg('input', () => UpdateMeInput) input: UpdateMeInput,
    @Ctx() ctx: Context,
  ): Promise<User> {
    if (input.email !== undefined || input.newPassword !== undefined)
      assertMayChangeCredentials(ctx.principal);
    const { user, passwordChanged } = await ctx.services.users.updateMe(ctx.user!, input);
    ctx.user = user;
    if (ctx.principal) ctx.principal = { ...ctx.principal, user };
    // Older tokens are now refused; a browser session continues with a fresh cookie.
    if (passwordChanged && ctx.presentedToken?.from === 'cookie') {
      const session = ctx.services.auth.issueFor(user);
      setSessionCookie(ctx.req, ctx.res, session.token, session.expiresAt);
    }
    return user;
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => User, { description: 'ADMIN only. An admin cannot take ADMIN away from the last admin.' })
  setUserRole(
    @Args(() => SetUserRoleArgs) { userId, role }: SetUserRoleArgs,
    @Ctx() ctx: Context,
  ): Promise<User> {
    return ctx.services.users.setRole(ctx.user!, parseId('userId', userId), role);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => User, {
    description: 'ADMIN only. An admin cannot deactivate themself nor the last active admin.',
  })
  setUserDeactivated(
    @Args(() => SetUserDeactivatedArgs) { userId, deactivated }: SetUserDeactivatedArgs,
    @Ctx() ctx: Context,
  ): Promise<User> {
    return ctx.services.users.setDeactivated(ctx.user!, parseId('userId', userId), deactivated);
  }

  @FieldResolver(() => Boolean, { nullable: true, description: 'ADMIN sees it; null for anyone else.' })
  deactivated(@Root() user: User, @Ctx() ctx: Context): boolean | null {
    return canSeeDeactivated(ctx.user) ? isDeactivated(user) : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'The user themself and admins see it; anyone else gets null.',
  })
  email(@Root() user: User, @Ctx() ctx: Context): string | null {
    return canSeePrivateUserFields(ctx.user, user) ? user.email : null;
  }

  @FieldResolver(() => Boolean, {
    nullable: true,
    description: 'The user themself and admins see it; anyone else gets null.',
  })
  notifyByEmail(@Root() user: User, @Ctx() ctx: Context): boolean | null {
    return canSeePrivateUserFields(ctx.user, user) ? user.notifyByEmail : null;
  }

  @FieldResolver(() => Boolean, {
    nullable: true,
    description: 'The user themself and admins see it; anyone else gets null.',
  })
  emailVerified(@Root() user: User, @Ctx() ctx: Context): boolean | null {
    return canSeePrivateUserFields(ctx.user, user) ? user.emailVerified : null;
  }

  @FieldResolver(() => Boolean, {
    nullable: true,
    description:
      'Staff only: also email me every new ticket (default true for AGENT and ADMIN). Null for a USER.',
  })
  notifyNewTickets(@Root() user: User, @Ctx() ctx: Context): boolean | null {
    return canSeePrivateUserFields(ctx.user, user) && isStaff(user.role) ? user.notifyNewTickets : null;
  }
}
