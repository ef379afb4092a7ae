import crypto from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;

/**
 * Seals the secret of a link (password reset, address verification) for the time it waits in the
 * outbox: AES-256-GCM, so the database file, its WAL and its free pages only ever hold ciphertext. The
 * key is derived from the token secret with HMAC (never the JWT key itself); a secret sealed under
 * another key (the token secret changed) cannot be opened, and its link would not work anyway.
 */
export class LinkSecrets {
  private constructor(private readonly key: Buffer) {}

  static derivedFrom(tokenSecret: string): LinkSecrets {
    return new LinkSecrets(
      crypto.createHmac('sha256', tokenSecret).update('simple-ticketing/outbox-link-secret-key/v1').digest(),
    );
  }

  /** A key of this process only: for an outbox built without one (unit tests), never plain text. */
  static ephemeral(): LinkSecrets {
    return new LinkSecrets(crypto.randomBytes(32));
  }

  /** `v1.<iv>.<ciphertext>.<tag>`, base64url. */
  seal(secret: string): string {
    const iv = crypto.randomBytes(IV_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
    return [VERSION, iv, sealed, cipher.getAuthTag()]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** The secret, or null for anything not sealed under this key. */
  open(sealed: unknown): string | null {
    if (typeof sealed !== 'string') return null;
    const [version, iv, data, tag, ...rest] = sealed.split('.');
    if (version !== VERSION || rest.length > 0 || !iv || data === undefined || !tag) return null;
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      return null;
    }
  }
}

/** The params without their link secret: what is kept once a message is done with (sent, failed, cancelled). */
export function withoutSecret(params: Record<string, unknown>): Record<string, unknown> {
  const { secret: _secret, ...rest } = params;
  return rest;
}
