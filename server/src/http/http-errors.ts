import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { StorageUnavailableError, isStorageFault } from '../database/storage-fault';
import { AppError, type ErrorCode, type InvalidField } from '../errors';

/** What a plain (non-GraphQL) route answers on failure: the API's codes, in one JSON shape. */
export interface HttpErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    invalidFields?: InvalidField[];
    retryAfterSeconds?: number;
    /** STORAGE_UNAVAILABLE: nothing was saved, a retry may work. */
    reason?: string;
  };
}

export interface HttpError {
  status: number;
  body: HttpErrorBody;
  /** Set for errors nobody expected: the route logs them; the client gets no detail. */
  unexpected?: true;
}

const statusOf: Record<ErrorCode, number> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  RATE_LIMITED: 429,
  INTERNAL_SERVER_ERROR: 500,
};

/** The plain routes' counterpart of formatError: a domain error's code → status and body. */
export function httpErrorOf(error: unknown): HttpError {
  if (error instanceof AppError) {
    const code = error.extensions.code as ErrorCode;
    const { invalidFields, retryAfterSeconds } = error.extensions as {
      invalidFields?: InvalidField[];
      retryAfterSeconds?: number;
    };
    return {
      status: statusOf[code] ?? 500,
      body: { error: { code, message: error.message, invalidFields, retryAfterSeconds } },
    };
  }
  if (error instanceof StorageUnavailableError || isStorageFault(error)) {
    const message =
      error instanceof StorageUnavailableError
        ? error.message
        : 'The service cannot read its database right now. Try again in a moment.';
    return {
      status: 503,
      body: { error: { code: 'INTERNAL_SERVER_ERROR', message, reason: 'STORAGE_UNAVAILABLE' } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error.' } },
    unexpected: true,
  };
}

/** The error handler of plain routes (mount it after them): one mapping, unexpected errors logged once. */
export function httpErrorHandler(logger: Pick<Logger, 'error'>): ErrorRequestHandler {
  return (error, req, res, next) => {
    if (res.headersSent) return next(error);
    const { status, body, unexpected } = httpErrorOf(error);
    // Storage faults are logged by the database, with their SQLite code.
    if (unexpected) logger.error({ err: error, path: req.path }, 'unexpected error');
    if (body.error.retryAfterSeconds) res.set('Retry-After', String(body.error.retryAfterSeconds));
    res.status(status).json(body);
  };
}
