import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import type { Context } from '../context';
import { User } from '../users/user.entity';
import { ResetPasswordInput } from './accounts.inputs';

@Resolver()
export class AccountsResolver {
  @Mutation(() => Boolean, {
    description:
      'Always true, whether or not the address is known (no account enumeration). Sends a reset link valid 1 hour.',
  })
  requestPasswordReset(@Arg('email', () => String) email: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accounts.requestPasswordReset(email, ctx.clientAddress);
  }

  @Mutation(() => Boolean, {
    description: 'Sets the new password and ends every existing session of that user.',
  })
  resetPassword(
    @Arg('input', () => ResetPasswordInput) input: ResetPasswordInput,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    return ctx.services.accounts.resetPassword(input.token, input.newPassword);
  }

  // No sign-in needed: the link may be opened in another browser than the one signed in.
  @Mutation(() => User, {
    description: 'Confirms the address from the link sent at registration or at an email change.',
  })
  verifyEmail(@Arg('token', () => String) token: string, @Ctx() ctx: Context): Promise<User> {
    return ctx.services.accounts.verifyEmail(token);
  }

  @Authorized()
  @Mutation(() => Boolean)
  resendVerificationEmail(@Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.accounts.resendVerification(ctx.user!);
  }
}
