import type { ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { httpErrorHandler, httpErrorOf } from '../http/http-errors';
import { escapeHtml } from '../outbox/email-html';
import { REPORT_CSP } from './report.renderer';

/** A small page for a refusal read in a browser tab: its status, the API's message, and a way on. */
function errorPage(status: number, code: string, message: string): string {
  const signIn = status === 401 ? '<p><a href="/login">Sign in</a>, then open the report again.</p>' : '';
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<title>Project report: ${escapeHtml(message)}</title>`,
    '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem}code{color:#555}</style>',
    `</head><body><h1>The report cannot be shown</h1><p>${escapeHtml(message)}</p>`,
    `<p><code>${status} ${escapeHtml(code)}</code></p>${signIn}</body></html>\n`,
  ].join('');
}

/**
 * The report opens in a browser tab, so a browser (Accept: text/html first) reads a refusal as a page;
 * any other client gets the plain routes' JSON shape. Same status and code either way.
 */
export function reportErrorHandler(logger: Pick<Logger, 'error'>): ErrorRequestHandler {
  const json = httpErrorHandler(logger);
  return (error, req, res, next) => {
    if (res.headersSent) {
      // Cut short mid-stream: the status is sent, so breaking the connection is the only honest signal.
      logger.error({ err: error, path: req.path }, 'project report cut short');
      res.destroy();
      return;
    }
    if (req.accepts(['json', 'html']) !== 'html') return json(error, req, res, next);
    const { status, body, unexpected } = httpErrorOf(error);
    if (unexpected) logger.error({ err: error, path: req.path }, 'unexpected error');
    if (body.error.retryAfterSeconds) res.set('Retry-After', String(body.error.retryAfterSeconds));
    res
      .status(status)
      .set('Content-Security-Policy', REPORT_CSP)
      .type('html')
      .send(errorPage(status, body.error.code, body.error.message));
  };
}
