import type { MessageKey as CoreKey } from './en';
import type { AccountKey } from './en-account';
import type { AdminKey } from './en-admin';
import type { WorkKey } from './en-work';

export type Lang = 'en' | 'fr';
export type MessageKey = CoreKey | AdminKey | AccountKey | WorkKey;

type Dictionary = Partial<Record<MessageKey, string>>;
/**
 * The messages every page may use (core: the shell and the ticket page), and those only some pages use,
 * loaded with them (App.svelte's page table): the admin pages', the account pages' (sign-in, sign-up,
 * settings), and the work lists' (homes, the ticket list, a new ticket).
 */
type Part = 'core' | 'admin' | 'account' | 'work';

// Each part of each language is a chunk of its own. The core is fetched before the first render
// (main.ts) and when someone switches; the other parts with the pages that use them: a reader downloads
// the messages of their language and their page only. fr*.ts have exactly the keys of en*.ts
// (check-i18n.mjs), and each page loads the parts of the messages it shows (check-message-parts.mjs).
const loaders: Record<Part, Record<Lang, () => Promise<Dictionary>>> = {
  core: {
    en: () => import('./en').then((module) => module.en),
    fr: () => import('./fr').then((module) => module.fr),
  },
  admin: {
    en: () => import('./en-admin').then((module) => module.enAdmin),
    fr: () => import('./fr-admin').then((module) => module.frAdmin),
  },
  account: {
    en: () => import('./en-account').then((module) => module.enAccount),
    fr: () => import('./fr-account').then((module) => module.frAccount),
  },
  work: {
    en: () => import('./en-work').then((module) => module.enWork),
    fr: () => import('./fr-work').then((module) => module.frWork),
  },
};
const dictionaries: Record<Lang, Dictionary> = { en: {}, fr: {} };
const loadedParts: Record<Lang, Part[]> = { en: [], fr: [] };
const wantedParts: Part[] = ['core'];

async function loadParts(lang: Lang): Promise<void> {
  const missing = wantedParts.filter((part) => !loadedParts[lang].includes(part));
  const loaded = await Promise.all(missing.map((part) => loaders[part][lang]()));
  missing.forEach((part, index) => {
    Object.assign(dictionaries[lang], loaded[index]);
    if (!loadedParts[lang].includes(part)) loadedParts[lang].push(part);
  });
}

/** Before showing a page that uses a part's messages (App.svelte's page table). */
export function needMessages(part: Part): Promise<void> {
  if (!wantedParts.includes(part)) wantedParts.push(part);
  return loadParts(i18n.lang);
}
const STORAGE_KEY = 'st_lang';

export function initialLang(): Lang {
  const saved = localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'fr') return saved;
  return navigator.language?.toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export const i18n = $state({ lang: 'en' as Lang });

/** Shows the app in `lang` once its messages are here (at once when they already are). */
export async function useLanguage(lang: Lang): Promise<void> {
  await loadParts(lang);
  i18n.lang = lang;
  document.documentElement.lang = lang;
}

export function setLang(lang: Lang): Promise<void> {
  // Remembered for the next visit before sign-in; once signed in, me.locale wins.
  localStorage.setItem(STORAGE_KEY, lang);
  return useLanguage(lang).catch(() => undefined);
}

export function hasKey(key: string): key is MessageKey {
  return key in dictionaries[i18n.lang];
}

/** The message for a key in the current language, with {name} placeholders filled in. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const count = params.count;
  const singular = `${key}_one`;
  const useSingular =
    typeof count === 'number' && (i18n.lang === 'fr' ? count < 2 : count === 1) && hasKey(singular);
  const chosen = useSingular ? singular : key;
  const template = dictionaries[i18n.lang][chosen] ?? key;
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
