import express, { type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { authenticateApi, callerOf, requireCaller } from '../http/api-auth';
import { parseId } from '../ids';
import type { Services } from '../services';
import { Role } from '../users/role';
import { reportErrorHandler } from './report-errors';
import { parseReportQuery } from './report.inputs';
import { REPORT_CSP, reportEnd, reportStart, reportTickets } from './report.renderer';
import { ReportService } from './report.service';

/** Writes a chunk, and waits while the client reads slower than the database: memory stays bounded. */
async function write(res: Response, chunk: string): Promise<void> {
  if (res.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** `GET /api/projects/:id/report`: the printable project report, streamed one batch of tickets at a time. */
export function reportRoutes(
  services: Pick<Services, 'authenticators' | 'tokenBudget' | 'database' | 'projects' | 'stats' | 'clock'>,
  logger: Pick<Logger, 'error'>,
): Router {
  const reports = new ReportService(services.database, services.projects, services.stats, services.clock);
  const router = express.Router();
  router.get(
    '/:id/report',
    authenticateApi(services),
    requireCaller(services, { roles: [Role.AGENT, Role.ADMIN], cost: 5 }),
    async (req, res) => {
      const reader = callerOf(res).principal!.user;
      const report = await reports.open(
        reader,
        parseId('id', String(req.params.id)),
        parseReportQuery(req.query),
      );
      res.status(200).set({
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': REPORT_CSP,
        'Content-Disposition': `inline; filename="project-${report.project.id}-report.html"`,
      });
      await write(res, reportStart(report));
      let listed = 0;
      for await (const batch of reports.tickets(report)) {
        // The reader closed the tab: stop reading the database for nobody.
        if (res.destroyed) return;
        await write(res, reportTickets(report, batch));
        listed += batch.length;
      }
      res.end(reportEnd(report, listed));
    },
  );
  router.use(reportErrorHandler(logger));
  return router;
}
