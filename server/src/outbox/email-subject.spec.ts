import { safeSubject } from './email-subject';

describe('safeSubject', () => {
  test('keeps an ordinary subject as written, accents and emoji included', () => {
    expect(safeSubject('[#42] Search box ignores accents: é, ü 🎉')).toBe(
      '[#42] Search box ignores accents: é, ü 🎉',
    );
  });

  test('makes one line of line breaks, NEL and the Unicode line and paragraph separators', () => {
    expect(safeSubject('Crash\r\nBcc: victim@example.com')).toBe('Crash Bcc: victim@example.com');
    expect(safeSubject('a\u0085b\u2028c\u2029d\te')).toBe('a b c d e');
  });

  test('removes bidi overrides and isolates, zero-width and other format characters', () => {
    const disguised = 'Invoice \u202Efdp.exe\u202C \u2066x\u2069 \u200Bzero\uFEFF';
    expect(safeSubject(disguised)).toBe('Invoice fdp.exe x zero');
    expect(safeSubject(disguised)).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B\uFEFF]/);
  });

  test('neutralises RFC 2047 encoded-word openers', () => {
    expect(safeSubject('=?UTF-8?B?UGF5IG5vdw==?=')).toBe('= ?UTF-8?B?UGF5IG5vdw== ?=');
    expect(safeSubject('a =?utf-8?q?x?= b')).not.toContain('=?');
  });
});
