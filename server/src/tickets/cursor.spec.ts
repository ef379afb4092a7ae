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
  ])('refuse %s as BAD_USER_INPUT on "after"', (_label, raw) => {
    expect(() => decodeCursor(raw, 'CREATED_AT:DESC')).toThrow(
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }),
    );
  });

  test('refuse a negative relevance offset', () => {
    expect(() => decodeCursor(encodeCursor({ key: 'RELEVANCE', offset: -1 }), 'RELEVANCE')).toThrow();
  });
});
