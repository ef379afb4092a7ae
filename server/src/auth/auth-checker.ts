import type { AuthCheckerFn } from 'type-graphql';
import type { Context } from '../context';
import { ForbiddenError, UnauthenticatedError } from '../errors';

const sessionMessages = {
  expired: 'Your session has expired. Please log in again.',
  ended: 'Your session has ended. Please log in again.',
  invalid: 'Your token is not valid. Please log in again.',
};

/** @Authorized(): a signed-in user; @Authorized(roles…): one of those roles, read from the database. */
export const authChecker: AuthCheckerFn<Context> = ({ context }, roles) => {
  if (!context.user) {
    throw new UnauthenticatedError(
      context.sessionProblem ? sessionMessages[context.sessionProblem] : undefined,
    );
  }
  if (roles.length > 0 && !roles.includes(context.user.role)) {
    throw new ForbiddenError(`This needs the role ${roles.join(' or ')}.`);
  }
  return true;
};
