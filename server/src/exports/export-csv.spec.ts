import { parse } from 'csv-parse/sync';
import { changesText, csvText } from './export-csv';

const cell = (value: string) => csvText([[value]]).replace(/\r\n$/, '');

describe('CSV injection: a cell a spreadsheet would run as a formula starts with a quote', () => {
  test.each(['=SUM(A1:A9)', '+33 1 23 45 67 89', '-2+3', '@SUM(1)', '\tcmd', '\r=1'])('%j', (value) => {
    const [[read]] = parse(csvText([[value]]));
    expect(read).toBe(`'${value}`);
  });

  test('the full-width look-alikes some spreadsheets fold to = + - @ too', () => {
    for (const value of ['＝1+1', '＋1', '－1', '＠A1']) expect(cell(value)).toBe(`'${value}`);
  });

  test('anything else is left alone: inner signs, a leading space, numbers, empty cells', () => {
    expect(cell('a=b')).toBe('a=b');
    expect(cell('1+1')).toBe('1+1');
    expect(cell(' =1')).toBe(' =1');
    expect(cell('café @ 東京')).toBe('café @ 東京');
    expect(csvText([[42, null, '']])).toBe('42,,\r\n');
  });
});

describe('RFC 4180 as spreadsheets read it', () => {
  test('records end with CRLF; a comma, a quote or any line break is quoted, quotes doubled', () => {
    expect(csvText([['a,b', 'say "hi"', 'one\ntwo', 'one\rtwo', 'plain']])).toBe(
      '"a,b","say ""hi""","one\ntwo","one\rtwo",plain\r\n',
    );
  });

  test('a cell holding ";" is quoted: Excel in a ";" locale must not split it into a formula cell', () => {
    expect(csvText([["x;=cmd|' /C calc'!A0", 'plain']])).toBe('"x;=cmd|\' /C calc\'!A0",plain\r\n');
  });

  test('the first chunk starts with the UTF-8 byte order mark, the next ones do not', () => {
    expect(csvText([['id']], true)).toBe('\uFEFFid\r\n');
    expect(csvText([['1']])).toBe('1\r\n');
  });

  test('read back, every value is what was written', () => {
    const records = [
      ['Quotes "here", commas', 'lines\r\nand\nmore', 'Zürich — 東京 ✓'],
      ['', 'x', 'y'],
    ];
    expect(parse(csvText(records, true), { bom: true })).toEqual(records);
  });
});

test("a job's changes read as one line each, an empty value as (none)", () => {
  expect(
    changesText([
      { field: 'status', from: 'OPEN', to: 'RESOLVED' },
      { field: 'assignee', from: null, to: 'bruno' },
    ]),
  ).toBe('status: OPEN → RESOLVED\nassignee: (none) → bruno');
  expect(changesText([])).toBe('');
});
