import { BadInputError } from './errors';

/** IDs are database ids as decimal strings (core.graphql); anything else is bad input, not a lookup. */
export function parseId(field: string, raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw) || !Number.isSafeInteger(Number(raw))) {
    throw BadInputError.field(field, 'format', `${field} must be a positive whole number, like "42".`);
  }
  return Number(raw);
}

export function parseOptionalId(field: string, raw: string | null | undefined): number | undefined {
  return raw === undefined || raw === null ? undefined : parseId(field, raw);
}
