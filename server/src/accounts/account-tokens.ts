import crypto from 'node:crypto';
import { TokenPurpose, type UserToken } from './user-token.entity';

const HOUR_MS = 3_600_000;

/** How long a link stays usable, from the moment it is issued. */
export const TOKEN_VALIDITY_MS: Record<TokenPurpose, number> = {
  [TokenPurpose.VERIFY_EMAIL]: 48 * HOUR_MS,
  [TokenPurpose.RESET_PASSWORD]: HOUR_MS,
};

/** 32 random bytes, URL-safe: what the link carries, never stored. */
export function newTokenSecret(): string {
  return crypto.randomBytes(32).toString('base64url');
}

/** The secret's SHA-256, hex: what user_token keeps (the secret has 256 bits, so no salt or slow hash). */
export function hashTokenSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}

const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** Whether text can be a secret newTokenSecret made; anything else is refused before any look-up. */
export function isWellFormedSecret(text: string): boolean {
  return SECRET_PATTERN.test(text);
}

/** Unused, not expired and for this purpose. */
export function isTokenUsable(token: UserToken, purpose: TokenPurpose, now: Date): boolean {
  return token.purpose === purpose && token.usedAt === null && now.getTime() < token.expiresAt.getTime();
}
