import { BadInputError } from './errors';

/**
 * The largest id: ids are PostgreSQL `integer` columns (int4). A larger one can exist on neither
 * database, so it is refused as bad input on both instead of being looked up (where PostgreSQL would
 * fail on it).
 */
export const MAX_ID = 2_147_483_647;

/** Whether value is a number an id column can hold (cursors carry ids as numbers). */
export function isStorableId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= MAX_ID;
}

/** IDs are database ids as decimal strings (core.graphql); anything else is bad input, not a lookup. */
export function parseId(field: string, raw: string): number {
  if (!/^[1-9]\d*$/.test(raw)) {
    throw BadInputError.field(field, 'format', `${field} must be a positive whole number, like "42".`);
  }
  if (raw.length > String(MAX_ID).length || Number(raw) > MAX_ID) {
    throw BadInputError.field(field, 'range', `${field} must be at most ${MAX_ID}: no id is larger.`);
  }
  return Number(raw);
}

export function parseOptionalId(field: string, raw: string | null | undefined): number | undefined {
  return raw === undefined || raw === null ? undefined : parseId(field, raw);
}
