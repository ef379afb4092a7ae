import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { authProblemMessages } from '../auth/auth-checker';
import { type AuthProblem, type Principal, authenticate, canWrite } from '../auth/principal';
import { presentedToken } from '../context';
import { ForbiddenError, RateLimitedError, UnauthenticatedError } from '../errors';
import type { Services } from '../services';
import type { Role } from '../users/role';

/** What the plain routes under /api know of the caller, in res.locals. */
export interface ApiCaller {
  principal: Principal | null;
  authProblem: AuthProblem | null;
  /** Where the credential came from: a cookie needs CSRF protection on writes, a header does not. */
  credentialFrom: 'header' | 'cookie' | null;
}

export function callerOf(res: Response): ApiCaller {
  return res.locals.caller as ApiCaller;
}

/**
 * The plain routes' authentication: the same authenticators as the GraphQL route (session JWT in the
 * header or the cookie, API token in the header), so both answer the same caller the same way.
 */
export function authenticateApi(services: Pick<Services, 'authenticators'>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const credential = presentedToken(req);
    const caller: ApiCaller = {
      principal: null,
      authProblem: null,
      credentialFrom: credential?.from ?? null,
    };
    res.locals.caller = caller;
    if (!credential) return next();
    authenticate(services.authenticators, credential).then((outcome) => {
      if (typeof outcome === 'string') caller.authProblem = outcome;
      else caller.principal = outcome;
      next();
    }, next);
  };
}

function isSameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Content types a page of another site may send without a CORS preflight (HTML forms, fetch no-cors). */
const SIMPLE_CONTENT_TYPES = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

/**
 * Writes with the session cookie must come from this site's own pages (the same rule as Apollo's
 * csrfPrevention): a body a cross-site form could send, with neither a custom header nor a matching
 * Origin, is refused. The cookie is SameSite=Strict as well; this is the second lock.
 */
function assertNotCrossSite(req: Request): void {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!isSameOrigin(origin, req.headers.host))
      throw new ForbiddenError('This request comes from another site: it was refused.');
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  const simple = type === '' || SIMPLE_CONTENT_TYPES.includes(type);
  if (simple && req.headers['x-requested-with'] === undefined) {
    throw new ForbiddenError(
      'A write with the session cookie needs a Content-Type such as application/json or text/csv, or an X-Requested-With header.',
    );
  }
}

export interface AccessRule {
  /** Who may call; omitted: anyone signed in. */
  roles?: readonly Role[];
  /** A write: READ tokens are refused, and a cookie session must not come from another site. */
  write?: boolean;
  /** An API token's budget points this call spends (GitHub's REST calls count too). */
  cost: number;
}

/**
 * Guards a plain route with the API's rules and codes: UNAUTHENTICATED without a valid credential,
 * FORBIDDEN for a role or a READ token that may not, RATE_LIMITED past a token's budget (with the
 * X-Cost-* headers on every token call, the counterpart of GraphQL's extensions.cost).
 */
export function requireCaller(services: Pick<Services, 'tokenBudget'>, rule: AccessRule): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const caller = callerOf(res);
    const principal = caller.principal;
    const check = async () => {
      if (!principal) {
        throw new UnauthenticatedError(
          caller.authProblem ? authProblemMessages[caller.authProblem] : undefined,
        );
      }
      if (rule.roles && !rule.roles.includes(principal.user.role)) {
        throw new ForbiddenError(`This needs the role ${rule.roles.join(' or ')}.`);
      }
      if (rule.write && !canWrite(principal)) {
        throw new ForbiddenError('This API token is read-only (scope READ): it cannot import.');
      }
      if (rule.write && caller.credentialFrom === 'cookie') assertNotCrossSite(req);
      if (principal.kind !== 'token') return;
      const outcome = await services.tokenBudget.spend(principal.tokenId, rule.cost);
      res.set({
        'X-Cost-Requested': String(outcome.cost.requested),
        'X-Cost-Remaining': String(outcome.cost.remaining),
        'X-Cost-Reset': outcome.cost.resetAt,
      });
      if (!outcome.ok) {
        throw new RateLimitedError(
          `This API token has spent its points for this hour (this call costs ${rule.cost}); it is whole again at ${outcome.cost.resetAt}.`,
          outcome.retryAfterSeconds,
        );
      }
    };
    check().then(() => next(), next);
  };
}
