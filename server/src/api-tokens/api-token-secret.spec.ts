import {
  hashApiTokenSecret,
  isWellFormedApiTokenSecret,
  looksLikeApiToken,
  newApiTokenSecret,
} from './api-token-secret';

describe('API token secrets', () => {
  test('carry the st_ prefix, 46 base62 characters, and pass their own checksum', () => {
    const secret = newApiTokenSecret();
    expect(secret).toMatch(/^st_[0-9A-Za-z]{46}$/);
    expect(looksLikeApiToken(secret)).toBe(true);
    expect(isWellFormedApiTokenSecret(secret)).toBe(true);
  });

  test('are all different', () => {
    const secrets = new Set(Array.from({ length: 1000 }, newApiTokenSecret));
    expect(secrets.size).toBe(1000);
  });

  test('a changed character fails the checksum; other shapes are refused', () => {
    const secret = newApiTokenSecret();
    const last = secret.at(-1) === 'a' ? 'b' : 'a';
    expect(isWellFormedApiTokenSecret(secret.slice(0, -1) + last)).toBe(false);
    const swapped = secret.slice(0, 5) + (secret[5] === 'x' ? 'y' : 'x') + secret.slice(6);
    expect(isWellFormedApiTokenSecret(swapped)).toBe(false);
    for (const text of [
      '',
      'st_',
      `${secret}x`,
      secret.slice(1),
      `ST_${secret.slice(3)}`,
      'eyJhbGciOi.x.y',
    ]) {
      expect(isWellFormedApiTokenSecret(text)).toBe(false);
    }
  });

  test('are stored as a SHA-256 hash, never in clear', () => {
    const secret = newApiTokenSecret();
    expect(hashApiTokenSecret(secret)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashApiTokenSecret(secret)).not.toContain(secret.slice(3));
  });
});
