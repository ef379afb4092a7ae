import { Locale } from '../users/role';
import { emailChangedMessage, maskEmail, passwordResetMessage, verifyEmailMessage } from './account-messages';

const HOUR_MS = 3_600_000;
const sentAt = Date.UTC(2026, 2, 5, 14, 30);

describe('account emails', () => {
  test('the verification email has the link, its validity and what to do if it was not you, in EN and FR', () => {
    const params = { secret: 'abc_DEF-123', email: 'ana@example.com', expiresAt: sentAt + 48 * HOUR_MS };
    const en = verifyEmailMessage(params, Locale.EN, 'https://tickets.example.com', sentAt);
    expect(en.subject).toBe('Confirm your email address');
    expect(en.text).toContain('https://tickets.example.com/verify-email?token=abc_DEF-123');
    expect(en.text).toContain('48 hours');
    expect(en.text).toContain('If you did not create this account');
    expect(en.html).toContain('<a href="https://tickets.example.com/verify-email?token=abc_DEF-123">');
    const fr = verifyEmailMessage(params, Locale.FR, 'https://tickets.example.com', sentAt);
    expect(fr.subject).toBe('Confirmez votre adresse e-mail');
    expect(fr.text).toContain('48 heures');
    expect(fr.html).toContain('<html lang="fr">');
    expect(fr.text).toContain('Confirmer mon adresse\u00a0: https://tickets.example.com/verify-email?token=');
    expect(en.text).toContain('Confirm my address: https://tickets.example.com/verify-email?token=');
  });

  test('the reset email says 1 hour and that sessions end', () => {
    const params = { secret: 'xyz', expiresAt: sentAt + HOUR_MS };
    const en = passwordResetMessage(params, Locale.EN, 'http://localhost:4000', sentAt);
    expect(en.text).toContain('http://localhost:4000/reset-password?token=xyz');
    expect(en.text).toContain('for 1 hour');
    expect(en.text).toContain('signs you out everywhere');
    expect(passwordResetMessage(params, Locale.FR, 'http://localhost:4000', sentAt).text).toContain(
      '1 heure',
    );
  });

  test('a mail sent late says how long the link still works, rounded down, not its nominal validity', () => {
    const expiresAt = sentAt + HOUR_MS;
    const late = (minutes: number, locale = Locale.EN) =>
      passwordResetMessage({ secret: 'xyz', expiresAt }, locale, 'http://x', sentAt + minutes * 60_000).text;
    expect(late(20)).toContain('This link works once and for 40 minutes.');
    expect(late(20.6)).toContain('for 39 minutes.');
    expect(late(0.1)).toContain('for 1 hour.');
    expect(late(59.99)).toContain('for 1 minute.');
    expect(late(20, Locale.FR)).toContain('pendant 40 minutes.');
    const verify = { secret: 'abc', email: 'ana@example.com', expiresAt: sentAt + 48 * HOUR_MS };
    const retried = verifyEmailMessage(verify, Locale.EN, 'http://x', sentAt + 30.5 * HOUR_MS);
    expect(retried.text).toContain('for 17 hours.');
  });

  test('the notice to the old address says what changed and when, escapes user-written values', () => {
    const params = {
      username: 'ana',
      oldEmail: '"<b>ana</b>"@example.com',
      newEmail: 'ana.new@example.org',
      changedAt: sentAt,
    };
    const en = emailChangedMessage(params, Locale.EN);
    expect(en.text).toContain(
      'changed on 5 March 2026 at 14:30 UTC from "<b>ana</b>"@example.com to an…@example.org',
    );
    expect(en.html).toContain('&quot;&lt;b&gt;ana&lt;/b&gt;&quot;@example.com');
    expect(en.html).not.toContain('<b>ana</b>');
    expect(en.text).toContain('contact an administrator');
    expect(emailChangedMessage(params, Locale.FR).text).toContain('5 mars 2026');
  });

  test('the new address is partly hidden from the old one', () => {
    expect(maskEmail('alice@example.com')).toBe('al…@example.com');
    expect(maskEmail('ab@example.com')).toBe('a…@example.com');
    expect(maskEmail('a@example.com')).toBe('a…@example.com');
  });
});
