import { isBlank, isWellFormed, trimInvisible, visibleLength } from './text';

test.each([
  ['empty', ''],
  ['spaces, tabs and new lines', ' \t\r\n '],
  ['no-break and ideographic spaces', '\u00A0\u3000\u2007'],
  ['zero-width space, ZWNJ, ZWJ', '\u200B\u200C\u200D'],
  ['word joiner and byte-order mark', '\u2060\uFEFF'],
  ['soft hyphen and other format characters', '\u00AD\u061C\u200E\u2066'],
  ['control characters', '\u0000\u0007'],
  ['a Hangul filler and a blank Braille cell', '\u3164\u2800'],
  ['the combining grapheme joiner', '\u034F'],
  ['Khmer inherent vowels', '\u17B4\u17B5'],
  ['Mongolian free variation selectors and vowel separator', '\u180B\u180C\u180D\u180E\u180F'],
  ['variation selectors of the supplement', '\u{E0100}\u{E01EF}'],
  ['a tag character', '\u{E0041}'],
  ['a lone combining grave accent', '\u0300'],
  ['a lone combining enclosing circle after a space', ' \u20DD'],
  ['combining marks among zero-width characters', '\u200B\u0301\u0308\u034F'],
])('%s is blank', (_name, text) => {
  expect(isBlank(text)).toBe(true);
});

test.each([
  ['a letter among invisible characters', '\u200Bx\u200B'],
  ['a digit', '0'],
  ['an emoji', '\u{1F41B}'],
  ['an emoji with its variation selector', '\u2764\uFE0F'],
  ['an ideograph', '\u7968'],
  ['a letter with a combining accent', 'e\u0301'],
  ['a digit in an enclosing circle', '1\u20DD'],
  ['an ideograph with its variation selector', '\u845B\u{E0100}'],
  ['a lone surrogate (refused as not well-formed, not as blank)', '\uD800'],
])('%s is not blank', (_name, text) => {
  expect(isBlank(text)).toBe(false);
});

test('trimInvisible drops invisible characters at both ends only', () => {
  expect(trimInvisible('\u200B\u00A0Web\u200Dsite \uFEFF')).toBe('Web\u200Dsite');
  expect(trimInvisible('\u200B\u2060')).toBe('');
});

test.each([
  ['plain letters', 'abc', 3],
  ['letters after zero-width spaces', '\u200B\u200Bab', 2],
  ['letters joined by zero-width characters', 'a\u200D\u2060b', 2],
  ['letters between no-break spaces', '\u00A0ab\u3000', 2],
  ['words: the space between them shows', 'a b', 3],
  ['an emoji (one code point, two UTF-16 units)', '\u{1F41B}', 1],
  ['a heart with its variation selector', '\u2764\uFE0F', 1],
  ['nothing visible', '\u200B\u2060 ', 0],
  ['a letter with two combining accents', 'a\u0301\u0308', 1],
  ['letters around a grapheme joiner and Mongolian selectors', 'a\u034F\u180Bb', 2],
  ['an ideograph with a supplementary variation selector', '\u845B\u{E0100}', 1],
  ['lone combining marks', '\u0300\u20DD', 0],
])('visibleLength of %s', (_name, text, expected) => {
  expect(visibleLength(text)).toBe(expected);
});

test.each([
  ['plain text', 'Export stops', true],
  ['an emoji (a surrogate pair)', 'bug \u{1F41B}', true],
  ['empty', '', true],
  ['a lone high surrogate', 'a\uD83D', false],
  ['a lone low surrogate', '\uDC1Bb', false],
  ['a pair written the wrong way round', '\uDC1B\uD83D', false],
])('isWellFormed of %s', (_name, text, expected) => {
  expect(isWellFormed(text)).toBe(expected);
});
