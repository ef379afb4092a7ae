import fs from 'node:fs';
import path from 'node:path';
import express, { type Router } from 'express';

/**
 * Serves the built Svelte client: hashed assets cached for good, and index.html for every other page
 * address (/tickets/42, /playground…) so that a shared link opens the app on that view.
 */
export function webClient(clientDir: string): Router {
  const router = express.Router();
  const indexFile = path.join(clientDir, 'index.html');
  router.use(
    '/assets',
    express.static(path.join(clientDir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
      fallthrough: false,
    }),
  );
  router.use(express.static(clientDir, { index: false, maxAge: '1h' }));
  router.get(/.*/, (req, res, next) => {
    if (!req.accepts('html')) return next();
    if (!fs.existsSync(indexFile)) {
      res
        .status(404)
        .type('text')
        .send('The web client is not built. Run `npm run build`; the API is at POST /graphql.');
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    // Relative to a root: send refuses an absolute path through a dot folder (npx installs under ~/.npm/_npx).
    res.sendFile('index.html', { root: clientDir });
  });
  return router;
}
