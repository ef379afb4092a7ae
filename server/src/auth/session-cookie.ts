import type { ServerResponse } from 'node:http';
import { serialize } from 'cookie';
import { type ContextRequest, SESSION_COOKIE } from '../context';

/**
 * The cookie as Express's `res.cookie` writes it (the same `cookie` serializer, added to any Set-Cookie
 * already there), on node:http's answer: the GraphQL fast path does not give mutations Express's
 * objects (graphql-fast-path.ts, withClientFacts). httpOnly so scripts cannot read it; SameSite=Strict
 * so other sites cannot ride it.
 */
export function setSessionCookie(
  req: ContextRequest,
  res: ServerResponse,
  token: string,
  expiresAt: Date,
): void {
  res.appendHeader(
    'Set-Cookie',
    serialize(SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      expires: expiresAt,
    }),
  );
}

/** As Express's `res.clearCookie`: empty, expired at the start of 1970. */
export function clearSessionCookie(req: ContextRequest, res: ServerResponse): void {
  res.appendHeader(
    'Set-Cookie',
    serialize(SESSION_COOKIE, '', {
      httpOnly: true,
      sameSite: 'strict',
      secure: req.secure,
      path: '/',
      expires: new Date(1),
    }),
  );
}
