import { type Options, stringify } from 'csv-stringify/sync';
import type { ExportedChange } from './export-format';

/** One cell as the CSV export writes it: text, a count, or nothing (an empty cell). */
export type CsvCell = string | number | null;

/** The ticket file's columns; title … author email are the names the CSV import maps, so a file goes back in. */
export const TICKET_COLUMNS = [
  'id',
  'project',
  'title',
  'description',
  'status',
  'priority',
  'category',
  'author',
  'author email',
  'assignee',
  'created',
  'updated',
  'closed',
  'jobs',
] as const;

export const JOB_COLUMNS = [
  'ticket',
  'job',
  'author',
  'created',
  'status',
  'internal',
  'comment',
  'changes',
] as const;

/**
 * RFC 4180 as spreadsheets read it: CRLF between records, a field with a comma, a quote or any line
 * break quoted (csv-stringify only quotes the record delimiter itself unless told), and CSV injection
 * neutralised: a cell starting with = + - @, a tab or a carriage return (OWASP) gets a leading '.
 */
const CSV_OPTIONS: Options = {
  record_delimiter: 'windows',
  quote_record_delimiter: true,
  escape_formulas: true,
  // Excel where the list separator is ";" (French, German…) splits an unquoted cell at ";", and the part
  // after it could start a formula: a cell holding ";" is quoted, so it stays one cell there too.
  quoted_match: ';',
};

/** Records as CSV text; `first` adds the byte order mark, so Excel reads the file as UTF-8. */
export function csvText(records: readonly (readonly CsvCell[])[], first = false): string {
  return stringify(records as CsvCell[][], { ...CSV_OPTIONS, bom: first });
}

/** A job's changes as one cell, a change a line: `status: OPEN → RESOLVED`. */
export function changesText(changes: readonly ExportedChange[]): string {
  const value = (raw: string | null) => raw ?? '(none)';
  return changes.map((change) => `${change.field}: ${value(change.from)} → ${value(change.to)}`).join('\n');
}
