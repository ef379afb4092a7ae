import { isConnectionFailure } from './smtp-mailer';

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
