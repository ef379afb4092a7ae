import { isEmail } from 'class-validator';
import { CsvError, parse } from 'csv-parse/sync';
import { holdsNul, nulMessage, storedLength, visibleLength } from '../text';
import { COMMENT_MAX_LENGTH } from '../tickets/ticket.inputs';
import { Priority, TicketCategory, TicketStatus } from '../tickets/ticket.enums';
import { normalizeKey } from '../users/user-key';
import { EARLIEST_DATE } from './export-document-check';
import { ImportRefusedError } from './import-refusal';

/** The columns read, by their header without regard to case, spaces, "_" or "-". */
const COLUMN_NAMES = {
  title: 'title',
  description: 'description',
  status: 'status',
  priority: 'priority',
  category: 'category',
  created: 'created',
  'created at': 'created',
  'created on': 'created',
  'date created': 'created',
  'creation date': 'created',
  'author email': 'authorEmail',
  'author e mail': 'authorEmail',
  'reporter email': 'authorEmail',
  'reporter e mail': 'authorEmail',
} as const;
type ColumnKey = (typeof COLUMN_NAMES)[keyof typeof COLUMN_NAMES];

const DESCRIPTION_MAX_LENGTH = COMMENT_MAX_LENGTH;
/**
 * The most rows one CSV import reads: past it the file is refused whole. Every row of a file is held,
 * and refused ones listed back: 50 MB of one-letter rows would be 25 million of them (gigabytes).
 */
export const CSV_MAX_ROWS = 100_000;
/** The most fields a line may have: real exports have dozens; a million would hold the parser for seconds. */
export const CSV_MAX_COLUMNS = 1_000;
const DATE_SLACK_MS = 24 * 3_600_000;
/** 2026-03-01, 2026-03-01 09:30, 2026-03-01T09:30:00Z, 2026-03-01T09:30:00+02:00: never 03/01/2026. */
const CSV_DATE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/** A row that can become a ticket. */
export interface CsvTicketRow {
  line: number;
  title: string;
  description: string;
  status: TicketStatus;
  priority: Priority;
  category: TicketCategory;
  /** Null: the column is absent or the cell empty (the time of the import). */
  createdAt: Date | null;
  /** Lower-cased, the key accounts are matched by; null: the importer is the author. */
  authorEmail: string | null;
  /** The address as written, what a new account keeps (its key may be longer than 254 characters). */
  authorAddress: string | null;
}

/** A row left out, with where it is in the file and why. */
export interface RefusedRow {
  /** The line of the file where the row starts (1 is the header). */
  line: number;
  reason: string;
}

export interface ParsedTicketCsv {
  /** The header's names, as written, of the columns read. */
  columns: string[];
  /** The header's names, as written, of the columns not read. */
  unknownColumns: string[];
  rows: CsvTicketRow[];
  refused: RefusedRow[];
}

/**
 * Our own CSV export (and spreadsheets' "text" cells) put a `'` before a cell that would start a formula:
 * read back, the cell is the text it was, not the guard.
 */
const withoutFormulaGuard = (value: string): string => (/^'[=+\-@\t\r]/.test(value) ? value.slice(1) : value);

/** A refused cell as the answer repeats it: enough to find it, never the whole of a huge cell. */
const shortened = (value: string): string => (value.length > 40 ? `${value.slice(0, 40)}…` : value);

const headerKey = (name: string): string =>
  name
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, ' ');
const enumKey = (value: string): string =>
  value
    .trim()
    .toUpperCase()
    .replace(/[\s-]+/g, '_');

/** A record as csv-parse gives it with `info`: its fields, and where it ends in the file. */
type ParsedRecord = { record: string[]; info: { bytes: number } };

/** Thrown from csv-parse's on_record at the first record past CSV_MAX_COLUMNS fields, with where it starts. */
class TooManyColumns extends Error {
  constructor(readonly recordStart: number) {
    super('too many columns');
  }
}

/** Why csv-parse stopped, in words a spreadsheet user can act on. */
function describeCsvError(error: CsvError): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'a quoted field is never closed (a " opens a field that runs to the end of the file)';
    case 'INVALID_OPENING_QUOTE':
      return 'a " appears inside a field that does not start with one; quote the whole field and double the inner quotes ("say ""hi""")';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'a quoted field is followed by something other than a comma or the end of the line';
    default:
      return error.message;
  }
}

/** Comma, or semicolon when the header uses it (spreadsheets in languages with a decimal comma). */
function delimiterOf(text: string): string {
  const header = text.slice(0, text.search(/\r?\n|$/));
  const count = (character: string) => header.split(character).length - 1;
  return count(';') > count(',') ? ';' : ',';
}

function parseCsvDate(raw: string, latest: number): Date | string {
  const match = CSV_DATE.exec(raw);
  if (!match) {
    return `created "${shortened(raw)}" is not a date like 2026-03-01 or 2026-03-01T09:30:00Z (day/month orders are ambiguous).`;
  }
  const [, year, month, day, hour = '00', minute = '00', second = '00', zone] = match;
  const text = `${year}-${month}-${day}T${hour}:${minute}:${second}${zone ?? 'Z'}`;
  const time = Date.parse(text);
  if (Number.isNaN(time) || new Date(time).getUTCDate() !== Number(day))
    return `created "${raw}" is not a real date.`;
  if (time < EARLIEST_DATE || time > latest) return `created "${raw}" must be from 2000-01-01 to tomorrow.`;
  return new Date(time);
}

/** The cell as one of the enum's values, the fallback when empty, or null with the reason noted. */
function enumCell<T extends string>(
  column: string,
  raw: string,
  values: readonly T[],
  fallback: T,
  reasons: string[],
): T | null {
  if (raw.trim() === '') return fallback;
  const key = enumKey(raw) as T;
  if (values.includes(key)) return key;
  reasons.push(`${column} "${shortened(raw)}" is not one of ${values.join(', ')}.`);
  return null;
}

/**
 * Reads a CSV file of tickets (UTF-8, BOM or not, CRLF or LF, quoted fields with line breaks and
 * doubled quotes). A file that cannot be read as a whole (not UTF-8, broken quoting, no title column) is
 * refused; a row that breaks a rule is listed with its line and reason, the others are kept.
 */
export function parseTicketCsv(file: Buffer, now: Date): ParsedTicketCsv {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(file);
  } catch {
    throw ImportRefusedError.one(
      'document',
      'format',
      'The file is not UTF-8 text: save it as "CSV UTF-8" (Excel) or "Text CSV" with UTF-8 (LibreOffice).',
    );
  }
  if (text.replace(/^\uFEFF/, '').trim() === '') {
    throw ImportRefusedError.one(
      'line 1',
      'required',
      'The file is empty: expected a header line with a title column.',
    );
  }
  const lineOfByte = (offset: number) => 1 + file.subarray(0, offset).filter((byte) => byte === 0x0a).length;
  let records: ParsedRecord[];
  // Where the record being read starts: the end of the one before it.
  let recordStart = 0;
  try {
    records = parse(file, {
      bom: true,
      info: true,
      relax_column_count: true,
      delimiter: delimiterOf(text.replace(/^\uFEFF/, '')),
      // The header, the most rows read, and one more to know there are more: the rest is never parsed.
      to: CSV_MAX_ROWS + 2,
      // A line of more fields than any real file has is refused once read; the rest is never parsed.
      on_record: (record, context) => {
        // With info, csv-parse passes each record as { record, info }; its types say string[].
        if ((record as unknown as ParsedRecord).record.length > CSV_MAX_COLUMNS) {
          throw new TooManyColumns(recordStart);
        }
        recordStart = context.bytes;
        return record;
      },
    }) as unknown as ParsedRecord[];
  } catch (error) {
    if (error instanceof TooManyColumns) {
      const line = lineOfByte(error.recordStart);
      throw ImportRefusedError.one(
        `line ${line}`,
        'length',
        `Line ${line} has more than ${CSV_MAX_COLUMNS.toLocaleString('en')} fields, the most a line may have: check the delimiter, or remove the empty columns.`,
      );
    }
    if (!(error instanceof CsvError)) throw error;
    // The error's bytes are where the failing record starts: its line is the one to open.
    const line = lineOfByte((error as CsvError & { bytes?: number }).bytes ?? 0);
    throw ImportRefusedError.one(
      `line ${line}`,
      'format',
      `The CSV is malformed at line ${line}: ${describeCsvError(error)}.`,
    );
  }

  // csv-parse counts a quoted CRLF as two lines: count line breaks from each record's first byte instead.
  let line = 1;
  let counted = 0;
  const lineAt = (offset: number) => {
    for (; counted < offset; counted += 1) if (file[counted] === 0x0a) line += 1;
    return line;
  };

  const [header, ...body] = records;
  if (body.length > CSV_MAX_ROWS) {
    const line = lineOfByte(body[CSV_MAX_ROWS - 1].info.bytes);
    throw ImportRefusedError.one(
      `line ${line}`,
      'length',
      `The file has more than ${CSV_MAX_ROWS.toLocaleString('en')} rows, the most one import reads (line ${line} is one too many): split it into several files.`,
    );
  }
  const columnOf = new Map<ColumnKey, number>();
  const columns: string[] = [];
  const unknownColumns: string[] = [];
  header.record.forEach((name, index) => {
    const key = COLUMN_NAMES[headerKey(name) as keyof typeof COLUMN_NAMES];
    if (key === undefined) unknownColumns.push(name);
    else if (columnOf.has(key)) {
      throw ImportRefusedError.one(
        'line 1',
        'unique',
        `The header (line 1) names the column "${name}" twice: keep one.`,
      );
    } else {
      columnOf.set(key, index);
      columns.push(name);
    }
  });
  if (!columnOf.has('title')) {
    throw ImportRefusedError.one(
      'line 1',
      'required',
      `The header (line 1) has no title column (found: ${header.record.map((name) => `"${name}"`).join(', ')}). The first line must name the columns: title, and optionally description, status, priority, category, created, author email.`,
    );
  }

  const latest = now.getTime() + DATE_SLACK_MS;
  const rows: CsvTicketRow[] = [];
  const refused: RefusedRow[] = [];
  let start = header.info.bytes;
  for (const { record, info } of body) {
    const rowLine = lineAt(start);
    start = info.bytes;
    // A blank line between rows is layout, not a row.
    if (record.every((cell) => cell.trim() === '')) continue;
    const cell = (key: ColumnKey) => {
      const index = columnOf.get(key);
      return index === undefined ? '' : withoutFormulaGuard(record[index] ?? '');
    };
    const reasons: string[] = [];
    if (record.length !== header.record.length) {
      reasons.push(`it has ${record.length} fields where the header has ${header.record.length}.`);
    }
    const title = cell('title').trim();
    const titleLength = visibleLength(title);
    if (titleLength === 0) reasons.push('title is empty.');
    else if (titleLength < 3 || titleLength > 200) {
      reasons.push(`title must be 3 to 200 characters long (it has ${titleLength}).`);
    } else if (storedLength(title) > 200) {
      reasons.push(
        `title must be at most 200 characters long, invisible ones included (it has ${storedLength(title)}).`,
      );
    }
    const description = cell('description').trim();
    if (description.length > DESCRIPTION_MAX_LENGTH) {
      reasons.push(`description must be at most ${DESCRIPTION_MAX_LENGTH} characters long.`);
    }
    for (const [field, text] of [
      ['title', title],
      ['description', description],
    ]) {
      if (holdsNul(text)) reasons.push(nulMessage(field));
    }
    const status = enumCell(
      'status',
      cell('status'),
      Object.values(TicketStatus),
      TicketStatus.OPEN,
      reasons,
    );
    const priority = enumCell(
      'priority',
      cell('priority'),
      Object.values(Priority),
      Priority.NORMAL,
      reasons,
    );
    const category = enumCell(
      'category',
      cell('category'),
      Object.values(TicketCategory),
      TicketCategory.OTHER,
      reasons,
    );
    const createdCell = cell('created').trim();
    const createdAt = createdCell === '' ? null : parseCsvDate(createdCell, latest);
    const emailCell = cell('authorEmail').trim();
    if (emailCell !== '' && (emailCell.length > 254 || !isEmail(emailCell))) {
      reasons.push(`author email "${shortened(emailCell)}" is not an email address.`);
    }
    if (typeof createdAt === 'string') reasons.push(createdAt);
    if (reasons.length > 0 || status === null || priority === null || category === null) {
      refused.push({ line: rowLine, reason: reasons.join(' ') });
      continue;
    }
    rows.push({
      line: rowLine,
      title,
      description,
      status,
      priority,
      category,
      createdAt: createdAt as Date | null,
      authorEmail: emailCell === '' ? null : normalizeKey(emailCell),
      authorAddress: emailCell === '' ? null : emailCell,
    });
  }
  return { columns, unknownColumns, rows, refused };
}
