import express, { type Router } from 'express';
import type { Logger } from 'pino';
import { authenticateApi, callerOf, requireCaller } from '../http/api-auth';
import { httpErrorHandler } from '../http/http-errors';
import type { Services } from '../services';
import { Role } from '../users/role';
import { ExportAbortedError, writeChunks } from './export-stream';
import { ExportService } from './export.service';

/**
 * `GET /api/export?project=ID&format=json|csv[&part=jobs]`: the data as a download (ADMIN; a READ token
 * may). A bad request is answered in the API's JSON error shape; once the file has begun, a failure
 * cuts the connection, so that a broken file never looks complete.
 */
export function exportRoutes(
  services: Pick<Services, 'authenticators' | 'tokenBudget' | 'database' | 'clock'>,
  logger: Pick<Logger, 'error' | 'info'>,
): Router {
  const exporter = new ExportService(services.database, services.clock);
  const router = express.Router();
  router.use(authenticateApi(services));
  router.get('/', requireCaller(services, { roles: [Role.ADMIN], cost: 10 }), async (req, res) => {
    const plan = await exporter.plan(callerOf(res).principal!.user, req.query);
    res.set({
      'Content-Type': plan.contentType,
      'Content-Disposition': `attachment; filename="${plan.filename}"`,
    });
    // HEAD asks whether the export would be given, not for the export: checked, never run.
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    try {
      await writeChunks(res, exporter.chunks(plan));
    } catch (error) {
      res.destroy();
      if (error instanceof ExportAbortedError)
        logger.info({ filename: plan.filename }, 'export abandoned by the reader');
      else
        logger.error({ err: error, filename: plan.filename }, 'export failed after it began: connection cut');
    }
  });
  router.use(httpErrorHandler(logger));
  return router;
}
