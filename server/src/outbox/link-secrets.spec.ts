import { LinkSecrets } from './link-secrets';

const secrets = LinkSecrets.derivedFrom('a-token-secret-of-at-least-32-characters');

describe('link secrets in the outbox', () => {
  test('are sealed (never as written, never twice the same) and opened again', () => {
    const sealed = secrets.seal('abc_DEF-123');
    expect(sealed).not.toContain('abc_DEF-123');
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(secrets.seal('abc_DEF-123')).not.toBe(sealed);
    expect(secrets.open(sealed)).toBe('abc_DEF-123');
  });

  test('open nothing sealed under another key, changed, or not sealed at all', () => {
    const sealed = secrets.seal('abc_DEF-123');
    expect(LinkSecrets.derivedFrom('another-token-secret-of-32-characters!').open(sealed)).toBeNull();
    const [version, iv, data, tag] = sealed.split('.');
    const flipped = `${data.slice(0, -1)}${data.endsWith('A') ? 'B' : 'A'}`;
    expect(secrets.open([version, iv, flipped, tag].join('.'))).toBeNull();
    for (const junk of ['abc_DEF-123', '', 'v1...', `${sealed}.x`, 42, undefined]) {
      expect(secrets.open(junk)).toBeNull();
    }
  });
});
