import type { AuthProblem, Authenticator, PresentedCredential, Principal } from '../auth/principal';
import type { ApiTokenService } from './api-token.service';
import { isDeactivated } from '../users/deactivation';
import { looksLikeApiToken } from './api-token-secret';

/** Personal access tokens, from the Authorization header only (never a cookie: no CSRF exposure). */
export class ApiTokenAuthenticator implements Authenticator {
  constructor(private readonly apiTokens: ApiTokenService) {}

  accepts(credential: PresentedCredential): boolean {
    return credential.from === 'header' && looksLikeApiToken(credential.value);
  }

  async authenticate(credential: PresentedCredential): Promise<Principal | AuthProblem> {
    const checked = await this.apiTokens.check(credential.value);
    if (typeof checked === 'string') return checked;
    // Deactivation deletes the owner's tokens; the flag is checked too, read in the same statement.
    if (isDeactivated(checked.user)) return 'tokenInvalid';
    return { kind: 'token', user: checked.user, scope: checked.token.scope, tokenId: checked.token.id };
  }
}
