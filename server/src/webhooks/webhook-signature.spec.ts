import { isValidWebhookSignature, newWebhookSecret, signWebhookBody } from './webhook-signature';

test('the signature is sha256= and the hex HMAC-SHA256 of the raw body (the well-known vector)', () => {
  expect(signWebhookBody('The quick brown fox jumps over the lazy dog', 'key')).toBe(
    'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
  );
});

test('a receiver accepts the body as signed, and nothing else', () => {
  const secret = newWebhookSecret();
  const body = '{"event":"TICKET_OPENED","deliveryId":"1"}';
  const signature = signWebhookBody(body, secret);
  expect(isValidWebhookSignature(body, secret, signature)).toBe(true);
  expect(isValidWebhookSignature(`${body} `, secret, signature)).toBe(false);
  expect(isValidWebhookSignature(body, newWebhookSecret(), signature)).toBe(false);
  expect(isValidWebhookSignature(body, secret, 'sha256=00')).toBe(false);
});

test('secrets are recognisable and random: whsec_ and 32 bytes', () => {
  const secret = newWebhookSecret();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
  expect(newWebhookSecret()).not.toBe(secret);
});
