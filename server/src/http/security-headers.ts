import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

/** No inline scripts, no third-party origins: the client is bundled and served from here. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte transitions and GraphiQL set inline styles; scripts stay locked down.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** The headers of every answer, set by the middleware below and by the GraphQL fast path (graphql-fast-path.ts). */
export function setSecurityHeaders(req: { readonly secure: boolean }, res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
  // Only over HTTPS (directly, or behind a proxy with TRUST_PROXY): browsers ignore it on plain HTTP.
  if (req.secure) res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
}

export const securityHeaders: RequestHandler = (req, res, next) => {
  setSecurityHeaders(req, res);
  next();
};

/** API answers hold private data (tickets, emails): no browser or proxy may keep a copy. */
export const noStore: RequestHandler = (_req, res, next) => {
  res.setHeader('Cache-Control', 'no-store');
  next();
};
