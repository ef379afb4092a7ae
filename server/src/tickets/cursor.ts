import { BadInputError } from '../errors';

/** A position in an ordered list: the sort value and id of the last row seen, or an offset for relevance. */
export type Cursor = { key: string; value: number | null; id: number } | { key: 'RELEVANCE'; offset: number };

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

const invalid = () =>
  BadInputError.field('after', 'invalid', 'after must be a cursor returned by this API for the same order.');

/** Cursors are opaque to clients; one from another order, or tampered with, is refused. */
export function decodeCursor(raw: string, expectedKey: string): Cursor {
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
  const valueOk =
    cursor.value === null || (typeof cursor.value === 'number' && Number.isFinite(cursor.value));
  if (!valueOk || !Number.isSafeInteger(cursor.id)) throw invalid();
  return { key: expectedKey, value: cursor.value as number | null, id: cursor.id as number };
}
