import express, { type Router } from 'express';
import type { Config } from '../config';
import type { Database } from '../database/data-source';
import { unsubscribeTokensFor } from '../notifications/unsubscribe-token';
import { User } from '../users/user.entity';

const invalidLink = {
  error: { code: 'BAD_USER_INPUT', message: 'This unsubscribe link is not valid (it may have been cut).' },
};

/**
 * One-click unsubscribe (RFC 8058): `POST /api/unsubscribe/:token` turns email notifications off, no
 * login needed (the token names the account). It only ever turns them off, so a forged request can do
 * no harm. `GET` changes nothing, since mail scanners follow links: it sends the browser to the client's
 * page, which asks before it POSTs.
 */
export function unsubscribeRoutes(database: Database, config: Pick<Config, 'dataDir' | 'jwtSecret'>): Router {
  const tokens = unsubscribeTokensFor(config);
  const router = express.Router();
  router.get('/:token', (req, res) => {
    res.redirect(303, `/unsubscribe?token=${encodeURIComponent(req.params.token)}`);
  });
  router.post('/:token', async (req, res) => {
    const userId = tokens.verify(req.params.token);
    const found =
      userId !== null &&
      (await database.transaction(async (manager) => {
        const result = await manager.update(User, { id: userId }, { notifyByEmail: false });
        return (result.affected ?? 0) > 0;
      }));
    if (found) res.json({ unsubscribed: true });
    else res.status(400).json(invalidLink);
  });
  return router;
}
