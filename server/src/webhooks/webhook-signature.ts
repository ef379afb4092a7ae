import crypto from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Signature-256';

/** A new signing secret: recognisable (`whsec_`) for secret scanners, 32 random bytes. */
export function newWebhookSecret(): string {
  return `whsec_${crypto.randomBytes(32).toString('base64url')}`;
}

/** The X-Signature-256 value: `sha256=<hex HMAC-SHA256 of the raw body>`, GitHub's convention. */
export function signWebhookBody(body: string, secret: string): string {
  return `sha256=${crypto.createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver does: recompute and compare in constant time (the README shows the same lines). */
export function isValidWebhookSignature(body: string, secret: string, signature: string): boolean {
  const expected = Buffer.from(signWebhookBody(body, secret));
  const given = Buffer.from(signature);
  return expected.length === given.length && crypto.timingSafeEqual(expected, given);
}
