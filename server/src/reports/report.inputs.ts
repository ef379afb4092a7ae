import { BadInputError } from '../errors';
import { Locale } from '../users/role';

/** What the report's address may ask: a period of whole UTC days and a language. */
export interface ReportQuery {
  /** 00:00 UTC of the first day. */
  from?: Date;
  /** 00:00 UTC of the day after the last one: the period is [from, to). */
  to?: Date;
  /** Overrides the reader's own language. */
  locale?: Locale;
}

const DAY_MS = 86_400_000;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

/** One value of the query string; a repeated parameter (?from=a&from=b) is ambiguous, so refused. */
function single(field: string, raw: unknown): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string') {
    throw BadInputError.field(field, 'format', `${field} must be given once, as text.`);
  }
  return raw;
}

/** A calendar day as YYYY-MM-DD (UTC): 2025-02-30 is refused, not rolled over to March. */
function parseDay(field: string, raw: unknown): Date | undefined {
  const text = single(field, raw);
  if (text === undefined) return undefined;
  const match = DATE_PATTERN.exec(text);
  const day = match ? new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]))) : null;
  if (!day || !match || day.getUTCDate() !== Number(match[3]) || day.getUTCMonth() !== Number(match[2]) - 1) {
    throw BadInputError.field(field, 'format', `${field} must be a date like 2025-01-31 (YYYY-MM-DD).`);
  }
  return day;
}

function parseLocale(raw: unknown): Locale | undefined {
  const text = single('lang', raw);
  if (text === undefined) return undefined;
  const locale = Object.values(Locale).find((value) => value === text.toUpperCase());
  if (!locale) throw BadInputError.field('lang', 'format', 'lang must be en or fr.');
  return locale;
}

/** The query string of GET /api/projects/:id/report, read strictly: a wrong value is an error, never ignored. */
export function parseReportQuery(query: Record<string, unknown>): ReportQuery {
  const from = parseDay('from', query.from);
  const lastDay = parseDay('to', query.to);
  return {
    from,
    to: lastDay && new Date(lastDay.getTime() + DAY_MS),
    locale: parseLocale(query.lang),
  };
}
