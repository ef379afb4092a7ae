import bcrypt from 'bcryptjs';
import { dictionary } from '@zxcvbn-ts/language-common';
import { BadInputError } from '../errors';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** bcrypt reads at most 72 bytes; anything beyond would be silently ignored. */
export const PASSWORD_MAX_BYTES = 72;
const BCRYPT_COST = 12;
const COMMON_PASSWORD_COUNT = 10_000;

// The list is ordered by frequency; loaded once, lazily, from an installed package (no network).
let commonPasswords: Set<string> | undefined;
function isCommonPassword(password: string): boolean {
  commonPasswords ??= new Set(
    (dictionary['passwords-common'] as string[]).slice(0, COMMON_PASSWORD_COUNT).map((p) => p.toLowerCase()),
  );
  return commonPasswords.has(password.toLowerCase());
}

/** Checks a new password against the rules of ASVS 2.1: length and common passwords, no composition rules. */
export function assertAcceptablePassword(password: string, field = 'password'): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH || length > PASSWORD_MAX_LENGTH) {
    throw BadInputError.field(
      field,
      'length',
      `${field} must be ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters long.`,
    );
  }
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) {
    throw BadInputError.field(
      field,
      'length',
      `${field} must fit in ${PASSWORD_MAX_BYTES} bytes (accented letters and emoji take several bytes each).`,
    );
  }
  if (isCommonPassword(password)) {
    throw BadInputError.field(
      field,
      'commonPassword',
      `${field} is one of the most common passwords; choose another.`,
    );
  }
}

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, BCRYPT_COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  // Over-long input is never a valid password: refuse before bcrypt would truncate it.
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) return Promise.resolve(false);
  return bcrypt.compare(password, hash);
}

/** A hash of a random password, compared against when the login is unknown, so both cases take as long. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(`decoy-${Math.random()}`);
  return decoyHash;
}
