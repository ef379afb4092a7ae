import { BadInputError } from '../errors';
import { isStorableId } from '../ids';

/** A position in an ordered list: the sort value and id of the last row seen, or an offset for relevance. */
export type Cursor = { key: string; value: number | null; id: number } | { key: 'RELEVANCE'; offset: number };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

const invalid = () =>
  BadInputError.field('after', 'invalid', 'after must be a cursor returned by this API for the same order.');

/**
 * The values a keyset cursor may hold: those of its column (a whole number within the column's type),
 * since a tampered one would be compared with the column (PostgreSQL refuses 1.5 for a bigint).
 */
export interface CursorValueRange {
  min: number;
  max: number;
}

/** Timestamps in ms (bigint columns). */
const wholeNumbers: CursorValueRange = { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };

/** Cursors are opaque to clients; one from another order, or tampered with, is refused. */
export function decodeCursor(raw: string, expectedKey: string, values = wholeNumbers): Cursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (typeof parsed !== 'object' || parsed === null) throw invalid();
  const cursor = parsed as Record<string, unknown>;
  if (cursor.key !== expectedKey) throw invalid();
  if (expectedKey === 'RELEVANCE') {
    if (!Number.isSafeInteger(cursor.offset) || (cursor.offset as number) < 0) throw invalid();
    return { key: 'RELEVANCE', offset: cursor.offset as number };
  }
  const value = cursor.value;
  const valueOk =
    value === null ||
    (Number.isSafeInteger(value) && (value as number) >= values.min && (value as number) <= values.max);
  if (!valueOk || !isStorableId(cursor.id)) throw invalid();
  return { key: expectedKey, value: value as number | null, id: cursor.id };
}
