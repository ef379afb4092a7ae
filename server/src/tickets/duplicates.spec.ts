import { SIMILARITY_WORDS_MAX, similarityWords } from './duplicates';
import { Fts5SearchIndex } from './ticket-search';

describe('similarityWords', () => {
  test('keeps the meaningful words, folded, each once, in order', () => {
    expect(similarityWords('The LOGIN page crashes after the login, Café')).toEqual([
      'login',
      'page',
      'crashes',
      'cafe',
    ]);
  });

  test('drops short and common words: nothing meaningful gives no word', () => {
    expect(similarityWords('it is a the and of to with')).toEqual([]);
    expect(similarityWords('   ')).toEqual([]);
    expect(similarityWords('')).toEqual([]);
  });

  test('keeps numbers of 3 digits or more, such as error codes', () => {
    expect(similarityWords('Error 404 on v2')).toEqual(['error', '404']);
  });

  test('reduces query syntax of either database to plain words', () => {
    for (const hostile of [
      '"',
      '"unterminated',
      'NEAR(crash boot)',
      'a* OR b',
      '-minus (paren)',
      "x' | !y <-> z:*",
    ]) {
      for (const word of similarityWords(hostile)) expect(word).toMatch(/^[\p{L}\p{N}]+$/u);
    }
    expect(similarityWords('NEAR(crash boot) OR "title":x*')).toEqual(['near', 'crash', 'boot', 'title']);
  });

  test('the first text comes first; past the limit a text keeps its longest words, in order', () => {
    const short = Array.from({ length: 20 }, (_, index) => `ab${String.fromCharCode(97 + index)}`);
    const long = ['keyboard', 'monitor', 'scanner', 'headphones', 'projector', 'microphone'];
    const words = similarityWords(
      'Printer jams',
      [...short.slice(0, 10), ...long, ...short.slice(10)].join(' '),
    );
    expect(words).toHaveLength(SIMILARITY_WORDS_MAX);
    expect(words.slice(0, 2)).toEqual(['printer', 'jams']);
    expect(words.slice(2)).toEqual([...short.slice(0, 4), ...long]);
  });

  test('a word seen in the title is not picked again from the description', () => {
    expect(similarityWords('Printer jams', 'The printer jams daily')).toEqual(['printer', 'jams', 'daily']);
  });
});

describe('Fts5SearchIndex.similarExpression', () => {
  test('any word, quoted, as a prefix, in the public columns only', () => {
    expect(Fts5SearchIndex.similarExpression(['login', 'crash'])).toBe(
      '{title description comments} : ("login"* OR "crash"*)',
    );
  });

  test('a word that is not plain letters and digits is dropped; none left gives null', () => {
    expect(Fts5SearchIndex.similarExpression(['a"b', 'x*', 'ok'])).toBe(
      '{title description comments} : ("ok"*)',
    );
    expect(Fts5SearchIndex.similarExpression([])).toBeNull();
  });
});
