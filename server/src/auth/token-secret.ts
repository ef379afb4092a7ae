import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../config';

const MIN_SECRET_LENGTH = 32;

/**
 * JWT_SECRET, or the secret generated on first start and kept in the data folder (mode 0600). It is
 * written durably (file and folder synced): a secret lost in a power cut would end every session and,
 * worse, an empty one would make every login fail while the service looks healthy, so a short one
 * stops the start with what to do.
 */
export function loadOrCreateSecret(dataDir: string, configured: string): string {
  if (configured) return configured;
  const file = path.join(dataDir, 'jwt-secret');
  if (!fs.existsSync(file)) createSecret(dataDir, file);
  if ((fs.statSync(file).mode & 0o777) !== 0o600) fs.chmodSync(file, 0o600);
  const secret = fs.readFileSync(file, 'utf8').trim();
  if (secret.length < MIN_SECRET_LENGTH) {
    throw new ConfigError(
      `${file} is empty or shorter than ${MIN_SECRET_LENGTH} characters (damaged?). Delete it to have a new ` +
        'one generated (everyone signs in again), or set JWT_SECRET.',
    );
  }
  return secret;
}

function createSecret(dataDir: string, file: string): void {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // Written whole and synced under a temporary name, then linked in place: another process starting
  // at the same moment sees either no secret or a complete one, and the first link wins.
  const temporary = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(temporary, 'w', 0o600);
  try {
    fs.writeSync(fd, `${crypto.randomBytes(48).toString('base64url')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  try {
    fs.linkSync(temporary, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  const folder = fs.openSync(dataDir, 'r');
  try {
    fs.fsyncSync(folder);
  } finally {
    fs.closeSync(folder);
  }
}
