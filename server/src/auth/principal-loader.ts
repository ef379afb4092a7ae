import type { Context } from '../context';
import { createLoaders } from '../loaders';
import { authenticate } from './principal';

/**
 * Fills context.principal from the presented credential. Called once the operation has passed
 * validation, so a rejected query never touches the database. Never throws: a bad credential just
 * leaves the caller anonymous, with the reason kept for the error of any field that needs a user.
 */
export async function loadPrincipal(context: Context): Promise<void> {
  // Apollo hands resolvers a shallow copy of the context: bind the loaders to that copy's user.
  context.loaders = createLoaders(context.services.database, () => context.user);
  if (!context.presentedToken) return;
  const outcome = await authenticate(context.services.authenticators, context.presentedToken);
  if (typeof outcome === 'string') {
    context.authProblem = outcome;
    return;
  }
  context.principal = outcome;
  context.user = outcome.user;
  context.loaders.userById.prime(outcome.user.id, outcome.user);
}
