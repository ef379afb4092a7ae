import { Fts5SearchIndex, TsvectorSearchIndex, foldForSearch, indexedText } from './ticket-search';

describe('Fts5SearchIndex.matchExpression', () => {
  test('every word must match, as a prefix', () => {
    expect(Fts5SearchIndex.matchExpression('login crash', true)).toBe('"login"* "crash"*');
  });

  test('a USER search leaves internal notes out', () => {
    expect(Fts5SearchIndex.matchExpression('secret', false)).toBe(
      '{title description comments} : ("secret"*)',
    );
  });

  test.each(['"', '*', 'NEAR(a b)', 'title:x', '-x', 'a OR b', '^start'])(
    'FTS5 syntax in %j is reduced to plain words',
    (input) => {
      const expression = Fts5SearchIndex.matchExpression(input, true) ?? '';
      expect(expression.replace(/"[\p{L}\p{N}]+"\*/gu, '').trim()).toBe('');
    },
  );

  test('nothing searchable gives null', () => {
    expect(Fts5SearchIndex.matchExpression('?!…', true)).toBeNull();
  });

  test('accented words are kept for the accent-insensitive tokenizer', () => {
    expect(Fts5SearchIndex.matchExpression('élan', true)).toBe('"élan"*');
  });
});

describe('TsvectorSearchIndex.tsquery', () => {
  test('every word must match, as a prefix, folded like the indexed text', () => {
    expect(TsvectorSearchIndex.tsquery('Login CRASH')).toBe('login:* & crash:*');
    expect(TsvectorSearchIndex.tsquery('Élan café')).toBe('elan:* & cafe:*');
  });

  test.each(["'", ':*', 'a & b', 'a | b', '!x', '<->', '(x)', 'a\\b'])(
    'tsquery syntax in %j is reduced to plain words',
    (input) => {
      const query = TsvectorSearchIndex.tsquery(input) ?? '';
      expect(
        query
          .replace(/[\p{L}\p{N}]+:\*/gu, '')
          .replace(/ & /g, '')
          .trim(),
      ).toBe('');
    },
  );

  test('nothing searchable gives null', () => {
    expect(TsvectorSearchIndex.tsquery('?!…')).toBeNull();
  });

  test('folding drops accents and case, as FTS5 remove_diacritics does', () => {
    expect(foldForSearch('Ça déraille à l’Écran')).toBe('ca deraille a l’ecran');
  });
});

describe('indexedText', () => {
  test('PostgreSQL indexes the words FTS5 sees, whatever its own parser would keep whole', () => {
    expect(indexedText('Mail alice@example.com about v1.2.3 in /var/log/syslog (3.14)')).toBe(
      'mail alice example com about v1 2 3 in var log syslog 3 14',
    );
  });

  test('a search is cut the same way, so part of an address or version finds it', () => {
    expect(TsvectorSearchIndex.tsquery('example.com')).toBe('example:* & com:*');
  });
});
