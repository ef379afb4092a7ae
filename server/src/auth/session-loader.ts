import type { Context } from '../context';
import { createLoaders } from '../loaders';
import { User } from '../users/user.entity';

/**
 * Fills context.user from the presented token. Called once the operation has passed validation, so a
 * rejected query never touches the database. Never throws: a bad token just leaves the caller anonymous,
 * with the reason kept for the error of any field that needs a user.
 */
export async function loadSession(context: Context): Promise<void> {
  // Apollo hands resolvers a shallow copy of the context: bind the loaders to that copy's user.
  context.loaders = createLoaders(context.services.database, () => context.user);
  const presented = context.presentedToken;
  if (!presented) return;
  const claims = context.services.tokens.verify(presented.value);
  if (typeof claims === 'string') {
    context.sessionProblem = claims;
    return;
  }
  // One statement: the user, unless this token was revoked by logout.
  const user = await context.services.database.manager
    .createQueryBuilder(User, 'u')
    .where('u.id = :id', { id: Number(claims.sub) })
    .andWhere('NOT EXISTS (SELECT 1 FROM "revoked_token" r WHERE r."jti" = :jti)', { jti: claims.jti })
    .getOne();
  if (!user || user.sessionVersion !== claims.sv) {
    context.sessionProblem = 'ended';
    return;
  }
  context.user = user;
  context.session = claims;
  context.loaders.userById.prime(user.id, user);
}
