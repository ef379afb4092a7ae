import type { ZxcvbnFactory, ZxcvbnResult } from '@zxcvbn-ts/core';
import { BadInputError } from '../errors';
import { passwordPool } from './password-pool';

export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;
/** bcrypt reads at most 72 bytes; anything beyond would be silently ignored. */
export const PASSWORD_MAX_BYTES = 72;
const BCRYPT_COST = 12;
const COMMON_PASSWORD_COUNT = 10_000;
/** zxcvbn's 0–4 scale: 3 is "safely unguessable" for an offline attack on a slow hash (~10^8 guesses). */
export const PASSWORD_MIN_SCORE = 3;

interface Strength {
  commonPasswords: Set<string>;
  zxcvbn: ZxcvbnFactory;
}

// The dictionaries take tens of milliseconds and megabytes to load: only on the first password set.
let strength: Strength | undefined;
function loadStrength(): Strength {
  if (!strength) {
    /* eslint-disable @typescript-eslint/no-require-imports -- required on first use, not at start-up */
    const common = require('@zxcvbn-ts/language-common') as typeof import('@zxcvbn-ts/language-common');
    const core = require('@zxcvbn-ts/core') as typeof import('@zxcvbn-ts/core');
    /* eslint-enable @typescript-eslint/no-require-imports */
    strength = {
      // The list is ordered by frequency.
      commonPasswords: new Set(
        common.dictionary['passwords-common'].slice(0, COMMON_PASSWORD_COUNT).map((p) => p.toLowerCase()),
      ),
      zxcvbn: new core.ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs }),
    };
  }
  return strength;
}

// zxcvbn gives keys (its English texts live in another package): what the user is told, in a sentence.
const warnings: Record<string, string> = {
  straightRow: 'it is a straight row of keys',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats characters, such as "aaa"',
  extendedRepeat: 'it repeats a pattern, such as "abcabc"',
  sequences: 'it is a sequence, such as "abcd" or "1234"',
  recentYears: 'it contains a recent year',
  dates: 'it contains a date',
  topTen: 'it is one of the most used passwords',
  topHundred: 'it is one of the most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is close to a commonly used password',
  wordByItself: 'it is a single word',
  namesByThemselves: 'it is a name on its own',
  commonNames: 'it contains common names',
  userInputs: 'it contains your username, your email address or the name of this service',
  pwned: 'it appeared in a data breach',
};

/** Why the password is weak, and how to pick a better one. */
function weakPasswordMessage(field: string, result: ZxcvbnResult): string {
  const why = (result.feedback.warning && warnings[result.feedback.warning]) || 'it is short or predictable';
  return (
    `${field} is too easy to guess: ${why}. Use a longer phrase of three or four unrelated words, ` +
    'without your name, email, dates or keyboard patterns.'
  );
}

/** The user's own data: a password made of it is the first thing an attacker tries. */
export interface PasswordOwner {
  username?: string;
  email?: string;
}

/** The product's own name and its words: the first guess on any of its accounts. */
const PRODUCT_WORDS = ['simple', 'ticketing', 'simpleticketing', 'simple ticketing'];

function userInputs(owner: PasswordOwner): string[] {
  const inputs = [...PRODUCT_WORDS];
  if (owner.username) inputs.push(owner.username);
  if (owner.email) inputs.push(owner.email, owner.email.split('@')[0]);
  return inputs.map((input) => input.trim().toLowerCase()).filter((input) => input.length > 0);
}

/**
 * Checks a new password against the rules of ASVS 2.1 (length, common passwords, no composition rules)
 * and its strength as zxcvbn estimates it, with the user's own username and email as known words.
 */
export function assertAcceptablePassword(
  password: string,
  owner: PasswordOwner = {},
  field = 'password',
): void {
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
  const { commonPasswords, zxcvbn } = loadStrength();
  if (commonPasswords.has(password.toLowerCase())) {
    throw BadInputError.field(
      field,
      'commonPassword',
      `${field} is one of the most common passwords; choose another.`,
    );
  }
  const result = zxcvbn.check(password, userInputs(owner));
  if (result.score < PASSWORD_MIN_SCORE) {
    throw BadInputError.field(field, 'weakPassword', weakPasswordMessage(field, result));
  }
}

/** bcrypt on a worker thread (password-pool.ts): the service answers other requests meanwhile. */
export function hashPassword(password: string): Promise<string> {
  return passwordPool.hash(password, BCRYPT_COST);
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  // Over-long input is never a valid password: refuse before bcrypt would truncate it.
  if (Buffer.byteLength(password, 'utf8') > PASSWORD_MAX_BYTES) return Promise.resolve(false);
  return passwordPool.compare(password, hash);
}

/** A hash of a random password, compared against when the login is unknown, so both cases take as long. */
let decoyHash: Promise<string> | undefined;
export function decoyPasswordHash(): Promise<string> {
  decoyHash ??= hashPassword(`decoy-${Math.random()}`);
  return decoyHash;
}
