import crypto from 'node:crypto';

/**
 * API token secrets look like GitHub's: a recognisable prefix, random base62 (a double click selects it
 * whole) and a CRC32 checksum, so secret scanners can spot one and tell a real one from a typo offline.
 * The service keeps only the SHA-256 of the secret: it has 238 random bits, so no salt or slow hash.
 */
export const API_TOKEN_PREFIX = 'st_';
const RANDOM_LENGTH = 40;
const CHECKSUM_LENGTH = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_PATTERN = new RegExp(`^${API_TOKEN_PREFIX}[0-9A-Za-z]{${RANDOM_LENGTH + CHECKSUM_LENGTH}}$`);

function randomBase62(length: number): string {
  let text = '';
  while (text.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      // 248 = 4 × 62: rejecting the bytes above keeps every character equally likely.
      if (byte < 248 && text.length < length) text += BASE62[byte % 62];
    }
  }
  return text;
}

function checksumOf(random: string): string {
  let value = crc32(random);
  let text = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    text = BASE62[value % 62] + text;
    value = Math.floor(value / 62);
  }
  return text;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) crc = CRC_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

export function newApiTokenSecret(): string {
  const random = randomBase62(RANDOM_LENGTH);
  return `${API_TOKEN_PREFIX}${random}${checksumOf(random)}`;
}

/** Whether text looks like an API token (prefix), to pick the authenticator; validity is checked after. */
export function looksLikeApiToken(text: string): boolean {
  return text.startsWith(API_TOKEN_PREFIX);
}

/** Shape and checksum: a mistyped or made-up secret is refused before any look-up. */
export function isWellFormedApiTokenSecret(text: string): boolean {
  if (!SECRET_PATTERN.test(text)) return false;
  const random = text.slice(API_TOKEN_PREFIX.length, API_TOKEN_PREFIX.length + RANDOM_LENGTH);
  return text.endsWith(checksumOf(random));
}

export function hashApiTokenSecret(secret: string): string {
  return crypto.createHash('sha256').update(secret, 'utf8').digest('hex');
}
