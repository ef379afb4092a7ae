import { en, type MessageKey } from './en';

export type Lang = 'en' | 'fr';
export type { MessageKey };

type Dictionary = Record<MessageKey, string>;

// English is in the app shell (it is also every message's fallback); French is its own chunk, fetched
// before the first render for a French reader and otherwise when someone switches to it.
const dictionaries: Partial<Record<Lang, Dictionary>> = { en };
const loaders: Record<Lang, () => Promise<Dictionary>> = {
  en: () => Promise.resolve(en),
  fr: () => import('./fr').then((module) => module.fr),
};
const STORAGE_KEY = 'st_lang';

export function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'fr') return saved;
  return navigator.language?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export const i18n = $state({ lang: 'en' as Lang });

/** Shows the app in `lang` once its messages are here (at once when they already are). */
export async function useLanguage(lang: Lang): Promise<void> {
  dictionaries[lang] ??= await loaders[lang]();
  i18n.lang = lang;
  document.documentElement.lang = lang;
}

export function setLang(lang: Lang): Promise<void> {
  // Remembered for the next visit before sign-in; once signed in, me.locale wins.
  localStorage.setItem(STORAGE_KEY, lang);
  return useLanguage(lang).catch(() => undefined);
}

export function hasKey(key: string): key is MessageKey {
  return key in en;
}

/** The message for a key in the current language, with {name} placeholders filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const count = params.count;
  const singular = `${key}_one`;
  const useSingular =
    typeof count === 'number' && (i18n.lang === 'fr' ? count < 2 : count === 1) && hasKey(singular);
  const chosen = useSingular ? singular : key;
  const template = dictionaries[i18n.lang]?.[chosen] ?? en[chosen] ?? key;
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in params
      ? String(typeof params[name] === 'number' ? formatNumber(params[name]) : params[name])
      : whole,
  );
}

const locales: Record<Lang, string> = { en: 'en-GB', fr: 'fr-FR' };

export function formatDate(iso: string | null | undefined, withTime = true): string {
  if (!iso) return '';
  const options: Intl.DateTimeFormatOptions = withTime
    ? { dateStyle: 'medium', timeStyle: 'short' }
    : { dateStyle: 'medium' };
  return new Intl.DateTimeFormat(locales[i18n.lang], options).format(Date.parse(iso));
}

export function formatNumber(value: number, maximumFractionDigits = 1): string {
  return new Intl.NumberFormat(locales[i18n.lang], { maximumFractionDigits }).format(value);
}

/** "3 hours ago" style, for lists where the exact date matters less than the age. */
export function formatRelative(iso: string): string {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const format = new Intl.RelativeTimeFormat(locales[i18n.lang], { numeric: 'auto' });
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ['year', 31536000],
    ['month', 2592000],
    ['week', 604800],
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
  ];
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  // Intl's "this minute" / "cette minute-ci" reads oddly: people say "just now".
  return t('page.justNow');
}

/** Median time to close, given in hours by the API, shown in the unit people think in. */
export function formatDuration(hours: number | null | undefined): string {
  if (hours === null || hours === undefined) return '—';
  if (hours < 1) return t('duration.minutes', { n: Math.max(1, Math.round(hours * 60)) });
  if (hours < 48) return t('duration.hours', { n: Math.round(hours * 10) / 10 });
  return t('duration.days', { n: Math.round((hours / 24) * 10) / 10 });
}
