import { Locale } from '../users/role';

/** What every email writes differently by language, whatever its template. */
export interface EmailLocale {
  /** Between a label and its value: French puts a non-breaking space before the colon. */
  colon: string;
}

const emailLocales: Record<Locale, EmailLocale> = {
  [Locale.EN]: { colon: ': ' },
  [Locale.FR]: { colon: '\u00a0: ' },
};

export const emailLocaleOf = (locale: Locale): EmailLocale => emailLocales[locale] ?? emailLocales[Locale.EN];
