import type { AuthCheckerFn } from 'type-graphql';
import type { Context } from '../context';
import type { AuthProblem } from './principal';
import { ForbiddenError, UnauthenticatedError } from '../errors';

export const authProblemMessages: Record<AuthProblem, string> = {
  expired: 'Your session has expired. Please log in again.',
  ended: 'Your session has ended. Please log in again.',
  invalid: 'Your token is not valid. Please log in again.',
  tokenInvalid: 'This API token is not valid: it was revoked, or never issued.',
  tokenExpired: 'This API token has expired. Create a new one in Settings → API tokens.',
  unrecognized:
    'Your token is not valid: send "Bearer <token>" with the token of login, or "Bearer st_…" with an API token.',
};

/** @Authorized(): a signed-in user; @Authorized(roles…): one of those roles, read from the database. */
export const authChecker: AuthCheckerFn<Context> = ({ context }, roles) => {
  if (!context.user) {
    throw new UnauthenticatedError(
      context.authProblem ? authProblemMessages[context.authProblem] : undefined,
    );
  }
  if (roles.length > 0 && !roles.includes(context.user.role)) {
    throw new ForbiddenError(`This needs the role ${roles.join(' or ')}.`);
  }
  return true;
};
