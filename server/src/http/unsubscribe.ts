import express, { type Router } from 'express';
import type { Logger } from 'pino';
import type { UserService } from '../users/user.service';
import { httpErrorHandler } from './http-errors';

/**
 * One-click unsubscribe (RFC 8058): `POST /api/unsubscribe/:token` turns email notifications off, no
 * login needed (the token names the account). It only ever turns them off, so a forged request can do
 * no harm. `GET` changes nothing, since mail scanners follow links: it sends the browser to the client's
 * page, which asks before it POSTs.
 */
export function unsubscribeRoutes(
  users: Pick<UserService, 'unsubscribe'>,
  logger: Pick<Logger, 'error'>,
): Router {
  const router = express.Router();
  router.get('/:token', (req, res) => {
    res.redirect(303, `/unsubscribe?token=${encodeURIComponent(req.params.token)}`);
  });
  router.post('/:token', async (req, res) => {
    await users.unsubscribe(req.params.token);
    res.json({ unsubscribed: true });
  });
  router.use(httpErrorHandler(logger));
  return router;
}
