import { TicketSearchIndex } from './ticket-search';

describe('TicketSearchIndex.matchExpression', () => {
  test('every word must match, as a prefix', () => {
    expect(TicketSearchIndex.matchExpression('login crash', true)).toBe('"login"* "crash"*');
  });

  test('a USER search leaves internal notes out', () => {
    expect(TicketSearchIndex.matchExpression('secret', false)).toBe(
      '{title description comments} : ("secret"*)',
    );
  });

  test.each(['"', '*', 'NEAR(a b)', 'title:x', '-x', 'a OR b', '^start'])(
    'FTS5 syntax in %j is reduced to plain words',
    (input) => {
      const expression = TicketSearchIndex.matchExpression(input, true) ?? '';
      expect(expression.replace(/"[\p{L}\p{N}]+"\*/gu, '').trim()).toBe('');
    },
  );

  test('nothing searchable gives null', () => {
    expect(TicketSearchIndex.matchExpression('?!…', true)).toBeNull();
  });

  test('accented words are kept for the accent-insensitive tokenizer', () => {
    expect(TicketSearchIndex.matchExpression('élan', true)).toBe('"élan"*');
  });
});
