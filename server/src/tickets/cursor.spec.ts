import { decodeCursor, encodeCursor } from './cursor';

describe('ticket cursors', () => {
  test('round-trip a keyset position', () => {
    const cursor = { key: 'CREATED_AT:DESC', value: 1_700_000_000_000, id: 42 };
    expect(decodeCursor(encodeCursor(cursor), 'CREATED_AT:DESC')).toEqual(cursor);
  });

  test('round-trip a relevance offset', () => {
    expect(decodeCursor(encodeCursor({ key: 'RELEVANCE', offset: 20 }), 'RELEVANCE')).toEqual({
      key: 'RELEVANCE',
      offset: 20,
    });
  });

  test.each([
    ['garbage', 'not a cursor'],
    ['another order', encodeCursor({ key: 'ID:ASC', value: 1, id: 1 })],
    [
      'a non-integer id',
      Buffer.from(JSON.stringify({ key: 'CREATED_AT:DESC', value: 1, id: 1.5 })).toString('base64url'),
    ],
    [
      'a string value',
      Buffer.from(JSON.stringify({ key: 'CREATED_AT:DESC', value: '1', id: 1 })).toString('base64url'),
    ],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['an id past the largest', encodeCursor({ key: 'CREATED_AT:DESC', value: 1, id: 2_147_483_648 })],
    ['a fractional value', encodeCursor({ key: 'CREATED_AT:DESC', value: 1.5, id: 1 })],
    ['a value past 2^53', encodeCursor({ key: 'CREATED_AT:DESC', value: 1e300, id: 1 })],
  ])('refuse %s as BAD_USER_INPUT on "after"', (_label, raw) => {
    expect(() => decodeCursor(raw, 'CREATED_AT:DESC')).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });

  test('refuse a value outside the range of its column', () => {
    const ranks = { min: 0, max: 3 };
    const at = (value: number) => encodeCursor({ key: 'PRIORITY:DESC', value, id: 1 });
    expect(decodeCursor(at(3), 'PRIORITY:DESC', ranks)).toEqual({ key: 'PRIORITY:DESC', value: 3, id: 1 });
    expect(() => decodeCursor(at(4), 'PRIORITY:DESC', ranks)).toThrow();
    expect(() => decodeCursor(at(-1), 'PRIORITY:DESC', ranks)).toThrow();
  });

  test('refuse a negative relevance offset', () => {
    expect(() => decodeCursor(encodeCursor({ key: 'RELEVANCE', offset: -1 }), 'RELEVANCE')).toThrow();
  });
});
