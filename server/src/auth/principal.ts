import { TokenScope } from '../api-tokens/api-token.entity';
import { ForbiddenError } from '../errors';
import type { User } from '../users/user.entity';
import type { TokenClaims } from './token.service';

/**
 * Who makes a request, however they proved it: the rest of the code asks the principal (its user,
 * what kind of credential, what it may do), never the JWT or the token row.
 */
export type Principal = SessionPrincipal | ApiTokenPrincipal;

/** A person signed in: a session JWT, from the Authorization header or the session cookie. */
export interface SessionPrincipal {
  kind: 'session';
  user: User;
  scope: TokenScope.WRITE;
  /** For logout. */
  claims: TokenClaims;
}

/** An integration: a personal access token, with its owner's current rights narrowed by its scope. */
export interface ApiTokenPrincipal {
  kind: 'token';
  user: User;
  scope: TokenScope;
  tokenId: number;
}

/** Why a presented credential was not accepted; reported only when a field needs a signed-in user. */
export type AuthProblem = 'invalid' | 'expired' | 'ended' | 'tokenInvalid' | 'tokenExpired' | 'unrecognized';

/** What the request carried: a Bearer header or the session cookie. */
export interface PresentedCredential {
  value: string;
  from: 'header' | 'cookie';
}

/** Turns one kind of credential into a principal. */
export interface Authenticator {
  /** Whether the credential is this authenticator's kind: cheap, no I/O. */
  accepts(credential: PresentedCredential): boolean;
  authenticate(credential: PresentedCredential): Promise<Principal | AuthProblem>;
}

/** The first authenticator that takes the credential decides; a credential nobody takes is invalid. */
export async function authenticate(
  authenticators: readonly Authenticator[],
  credential: PresentedCredential,
): Promise<Principal | AuthProblem> {
  const authenticator = authenticators.find((candidate) => candidate.accepts(credential));
  return authenticator ? authenticator.authenticate(credential) : 'invalid';
}

/** Whether the principal may run mutations: READ tokens may not, whatever their owner's role. */
export function canWrite(principal: Principal): boolean {
  return principal.scope === TokenScope.WRITE;
}

/** The session a request carries, for logout: an API token is ended with revokeApiToken instead. */
export function sessionClaimsOf(principal: Principal | null): TokenClaims {
  if (principal?.kind !== 'session') {
    throw new ForbiddenError('logout ends a session; an API token is ended with revokeApiToken.');
  }
  return principal.claims;
}

/**
 * The password and the address that receives reset links are changed by the person, in a session:
 * a leaked token must not be able to lock its owner out of their account.
 */
export function assertMayChangeCredentials(principal: Principal | null): void {
  if (principal?.kind === 'token') {
    throw new ForbiddenError(
      'An API token cannot change the password or the email address; sign in to change them.',
    );
  }
}
