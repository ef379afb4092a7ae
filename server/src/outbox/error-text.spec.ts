import { describeSmtpError, isConnectionFailure } from './smtp-mailer';

describe('describeSmtpError', () => {
  test('keeps the code and the reason', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:2525'), { code: 'ESOCKET' });
    expect(describeSmtpError(error)).toBe('ESOCKET: connect ECONNREFUSED 127.0.0.1:2525');
  });

  test('never keeps the credentials, whether quoted plain, in a URL or as AUTH PLAIN sends them', () => {
    const plain = Buffer.from('\0mailer\0s3cret!').toString('base64');
    const error = Object.assign(
      new Error(
        `Invalid login: 535 5.7.8 user mailer pass s3cret! (${plain}) via smtp://mailer:s3cret!@host`,
      ),
      { code: 'EAUTH', responseCode: 535 },
    );
    const text = describeSmtpError(error, ['mailer', 's3cret!', plain]);
    expect(text).not.toMatch(/s3cret|mailer/);
    expect(text).toMatch(/^EAUTH 535: Invalid login/);
  });

  test('is short', () => {
    expect(describeSmtpError(new Error('x'.repeat(5000))).length).toBeLessThanOrEqual(300);
  });
});

describe('isConnectionFailure', () => {
  test('a server down, unreachable or silent is; a refused message or login is not', () => {
    const failure = (message: string, code?: string) => Object.assign(new Error(message), { code });
    expect(isConnectionFailure(failure('connect ECONNREFUSED 127.0.0.1:2525', 'ESOCKET'))).toBe(true);
    expect(isConnectionFailure(failure('Greeting never received', 'ETIMEDOUT'))).toBe(true);
    expect(isConnectionFailure(failure('Connection timeout', 'ETIMEDOUT'))).toBe(true);
    expect(isConnectionFailure(failure('getaddrinfo ENOTFOUND mail.example', 'EDNS'))).toBe(true);
    expect(isConnectionFailure(failure('550 5.1.1 No such user', 'EENVELOPE'))).toBe(false);
    expect(isConnectionFailure(failure('Invalid login: 535', 'EAUTH'))).toBe(false);
  });
});
