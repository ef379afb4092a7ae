import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { BadInputError, type InvalidField } from '../errors';
import { authenticateApi, callerOf, requireCaller } from '../http/api-auth';
import { type HttpErrorBody, httpErrorHandler } from '../http/http-errors';
import type { Services } from '../services';
import { Role } from '../users/role';
import { ImportService } from './import.service';

type ImportFormat = 'json' | 'csv';
const CONTENT_TYPES: Record<ImportFormat, string> = { json: 'application/json', csv: 'text/csv' };

/** A refusal of the body itself (size, type) with its own HTTP status, in the API's error shape. */
class BodyRefusal extends Error {
  constructor(
    readonly status: 413 | 415 | 400,
    readonly field: InvalidField,
  ) {
    super(field.message);
  }
}

function formatOf(req: Request): ImportFormat {
  const format = req.query.format ?? 'json';
  if (format === 'json' || format === 'csv') return format;
  throw BadInputError.field(
    'format',
    'format',
    'format must be json (the export of an instance) or csv (tickets).',
  );
}

function dryRunOf(req: Request): boolean {
  const value = req.query.dryRun;
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1' || value === '') return true;
  throw BadInputError.field('dryRun', 'format', 'dryRun must be true or false.');
}

/** Checked before the body is read: the wrong kind of file is refused without reading it. */
const assertContentType: RequestHandler = (req, _res, next) => {
  const format = formatOf(req);
  const header = req.headers['content-type'] ?? '';
  const [type, ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  const charset = parameters.find((part) => part.startsWith('charset='))?.slice('charset='.length);
  const wanted = CONTENT_TYPES[format];
  if (format === 'json' && type === CONTENT_TYPES.csv) {
    throw new BodyRefusal(415, {
      field: 'Content-Type',
      rule: 'format',
      message:
        'A CSV of tickets is imported with ?format=csv&project=ID (without format=csv, this address reads a JSON export).',
    });
  }
  if (type !== wanted) {
    throw new BodyRefusal(415, {
      field: 'Content-Type',
      rule: 'format',
      message: `Send the ${format === 'json' ? 'JSON export' : 'CSV file'} with Content-Type: ${wanted} (got ${header === '' ? 'none' : header}).`,
    });
  }
  if (charset !== undefined && charset.replace(/"/g, '') !== 'utf-8') {
    throw new BodyRefusal(415, {
      field: 'Content-Type',
      rule: 'format',
      message: `Only UTF-8 files are imported (got charset ${charset}): save the file as UTF-8.`,
    });
  }
  next();
};

/** body-parser's errors (too large, cut off) and ours, each with its status and a sentence. */
function bodyErrors(maxMb: number): ErrorRequestHandler {
  return (error, _req, res, next) => {
    const type = (error as { type?: string }).type;
    let refusal: BodyRefusal | null = error instanceof BodyRefusal ? error : null;
    if (type === 'entity.too.large') {
      refusal = new BodyRefusal(413, {
        field: 'body',
        rule: 'length',
        message: `The file is larger than ${maxMb} MB, the most this instance imports (IMPORT_MAX_MB). Split it, or raise IMPORT_MAX_MB.`,
      });
    } else if (type === 'request.aborted' || type === 'request.size.invalid') {
      refusal = new BodyRefusal(400, {
        field: 'body',
        rule: 'invalid',
        message:
          'The file did not arrive whole (the upload was cut off): nothing was imported. Send it again.',
      });
    } else if (type === 'encoding.unsupported') {
      refusal = new BodyRefusal(415, {
        field: 'Content-Encoding',
        rule: 'format',
        message: 'Send the file as it is, or compressed with gzip, deflate or br.',
      });
    } else if (/^(Z_|ERR__ERROR_)/.test(String((error as { code?: unknown }).code))) {
      // zlib (Z_…) or brotli (ERR__ERROR_…) could not inflate it: the bytes are not what Content-Encoding says.
      refusal = new BodyRefusal(400, {
        field: 'Content-Encoding',
        rule: 'format',
        message:
          'The file could not be decompressed: it is not what its Content-Encoding says. Send it as it is, or compressed whole.',
      });
    }
    if (!refusal) return next(error);
    const body: HttpErrorBody = {
      error: { code: 'BAD_USER_INPUT', message: refusal.message, invalidFields: [refusal.field] },
    };
    res.status(refusal.status).json(body);
  };
}

/**
 * `POST /api/import` (ADMIN, a write): the JSON export back in, or `?format=csv&project=ID` tickets from
 * a CSV file; `&dryRun=true` answers the same report and writes nothing. The body is the file, at most
 * IMPORT_MAX_MB: past it, reading stops and the answer is 413.
 */
export function importRoutes(
  services: Pick<Services, 'authenticators' | 'tokenBudget' | 'database' | 'clock'>,
  config: Pick<Config, 'importMaxMb'>,
  logger: Pick<Logger, 'error'>,
): Router {
  const imports = new ImportService(services.database, services.clock);
  const router = express.Router();
  router.use(authenticateApi(services));
  router.post(
    '/',
    requireCaller(services, { roles: [Role.ADMIN], write: true, cost: 50 }),
    assertContentType,
    express.raw({ type: () => true, limit: config.importMaxMb * 1024 * 1024 }),
    async (req, res) => {
      const actor = callerOf(res).principal!.user;
      const file = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const dryRun = dryRunOf(req);
      const result =
        formatOf(req) === 'csv'
          ? await imports.importCsv(actor, { project: queryText(req, 'project'), dryRun }, file)
          : await imports.importJson(actor, file, { dryRun });
      res.json(result);
    },
  );
  router.use(bodyErrors(config.importMaxMb));
  router.use(httpErrorHandler(logger));
  return router;
}

function queryText(req: Request, name: string): string | undefined {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
}
