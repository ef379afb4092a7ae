import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AuthProblem, PresentedCredential, Principal } from './auth/principal';
import type { OperationCost } from './api-tokens/token-budget';
import type { Services } from './services';
import type { User } from './users/user.entity';
import { createLoaders, type Loaders } from './loaders';

export interface Context {
  services: Services;
  /** Who makes the request (session or API token), loaded fresh for every request. */
  principal: Principal | null;
  /** principal.user: role and password changes apply at once. Set by the auth plugin, or on login. */
  user: User | null;
  authProblem: AuthProblem | null;
  /** Bearer header or session cookie, checked after the operation passes validation (no SQL before). */
  presentedToken: PresentedCredential | null;
  /** An API token's request: what it cost and what is left (sent as extensions.cost). */
  cost: OperationCost | null;
  /** Jobs listed so far by Ticket.jobs in this request, held under MAX_JOBS_PER_REQUEST. */
  jobsListed: number;
  clientAddress: string;
  /** Created by the session plugin on the very object the resolvers receive (Apollo copies the context). */
  loaders: Loaders;
  /**
   * node:http's request and answer, with the two facts of Express's request a GraphQL request reads: on
   * the fast path they are not Express's objects (graphql-fast-path.ts, withClientFacts), so nothing
   * here may call Express's methods.
   */
  req: ContextRequest;
  res: ContextResponse;
}

export type ContextRequest = IncomingMessage & {
  /** The client's address, as Express's `req.ip` (through trusted proxies). */
  readonly ip: string | undefined;
  /** HTTPS, directly or through a trusted proxy, as Express's `req.secure`. */
  readonly secure: boolean;
};

export type ContextResponse = ServerResponse & {
  locals: Record<string, unknown> & { queryTally?: { count: number } };
};

export const SESSION_COOKIE = 'st_session';

function readCookie(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeCookieValue(unquote(rest.join('=')));
  }
  return null;
}

/** RFC 6265 allows a cookie value in double quotes (`name="value"`); the quotes are not part of it. */
function unquote(raw: string): string {
  return raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
}

/** A value that is not valid percent-encoding ("%") reads as a bad token, not as a server error. */
function decodeCookieValue(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function presentedToken(req: IncomingMessage): Context['presentedToken'] {
  const header = req.headers.authorization;
  if (header) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    // A malformed header is a bad token, not an anonymous call.
    return { value: match ? match[1] : '', from: 'header' };
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  return cookie ? { value: cookie, from: 'cookie' } : null;
}

export function createContext(services: Services, req: ContextRequest, res: ContextResponse): Context {
  const context: Context = {
    services,
    principal: null,
    user: null,
    authProblem: null,
    cost: null,
    jobsListed: 0,
    presentedToken: presentedToken(req),
    clientAddress: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    loaders: createLoaders(services.database, () => context.user),
    req,
    res,
  };
  return context;
}
