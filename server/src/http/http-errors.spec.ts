import { StorageUnavailableError } from '../database/storage-fault';
import { BadInputError, NotFoundError, RateLimitedError } from '../errors';
import { httpErrorHandler, httpErrorOf } from './http-errors';

/** As JSON on the wire: keys left undefined are not sent. */
const wire = (error: unknown) => {
  const { status, body } = httpErrorOf(error);
  return { status, body: JSON.parse(JSON.stringify(body)) as unknown };
};

describe('the plain routes’ error mapper', () => {
  test('a domain error keeps its code, message and invalid fields, with the status of its code', () => {
    expect(wire(BadInputError.field('token', 'invalid', 'This link is not valid.'))).toEqual({
      status: 400,
      body: {
        error: {
          code: 'BAD_USER_INPUT',
          message: 'This link is not valid.',
          invalidFields: [{ field: 'token', rule: 'invalid', message: 'This link is not valid.' }],
        },
      },
    });
    expect(wire(new NotFoundError('Ticket', 7))).toEqual({
      status: 404,
      body: { error: { code: 'NOT_FOUND', message: 'Ticket 7 not found.' } },
    });
    expect(wire(new RateLimitedError('Slow down.', 30))).toEqual({
      status: 429,
      body: { error: { code: 'RATE_LIMITED', message: 'Slow down.', retryAfterSeconds: 30 } },
    });
  });

  test('a storage fault is 503 INTERNAL_SERVER_ERROR with reason STORAGE_UNAVAILABLE', () => {
    const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const expected = {
      status: 503,
      body: {
        error: { code: 'INTERNAL_SERVER_ERROR', message: expect.any(String), reason: 'STORAGE_UNAVAILABLE' },
      },
    };
    expect(wire(new StorageUnavailableError(full))).toEqual(expected);
    expect(wire(full)).toEqual(expected);
    expect(JSON.stringify(wire(full))).not.toContain('SQLITE');
  });

  test('anything else is 500 INTERNAL_SERVER_ERROR without details, logged once', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'id') at /srv/app.js:12");
    expect(wire(bug)).toEqual({
      status: 500,
      body: { error: { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error.' } },
    });

    const logged: unknown[] = [];
    const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
    const res = {
      headersSent: false,
      set: (name: string, value: string) => void (sent.headers[name] = value),
      status(code: number) {
        sent.status = code;
        return this;
      },
      json: (body: unknown) => void (sent.body = body),
    };
    const handler = httpErrorHandler({ error: (entry: unknown) => void logged.push(entry) });
    handler(bug, { path: '/x' } as never, res as never, () => undefined);
    expect(sent.status).toBe(500);
    expect(logged).toEqual([expect.objectContaining({ err: bug })]);
    handler(new RateLimitedError('Slow down.', 30), { path: '/x' } as never, res as never, () => undefined);
    expect(sent).toMatchObject({ status: 429, headers: { 'Retry-After': '30' } });
    expect(logged).toHaveLength(1);
  });
});
