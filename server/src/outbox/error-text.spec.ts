import { safeErrorText } from './error-text';

describe('safeErrorText', () => {
  test('keeps the code and the reason', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' });
    expect(safeErrorText(error)).toBe('ESOCKET: connect ECONNREFUSED 127.0.0.1:2525');
  });

  test('never keeps the credentials, whether quoted plain, in a URL or as AUTH PLAIN sends them', () => {
    const plain = Buffer.from('\0mailer\0s3cret!').toString('base64');
    const error = Object.assign(
      new Error(
        `Invalid login: 535 5.7.8 user mailer pass s3cret! (${plain}) via smtp://mailer:s3cret!@host`,
      ),
      { code: 'EAUTH', responseCode: 535 },
    );
    const text = safeErrorText(error, ['mailer', 's3cret!', plain]);
    expect(text).not.toMatch(/s3cret|mailer/);
    expect(text).toMatch(/^EAUTH 535: Invalid login/);
  });

  test('says something for an error without a message', () => {
    expect(safeErrorText(new Error(''))).toBe('Unknown error');
  });

  test('is short', () => {
    expect(safeErrorText(new Error('x'.repeat(5000))).length).toBeLessThanOrEqual(300);
  });
});
