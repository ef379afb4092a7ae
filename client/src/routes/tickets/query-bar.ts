/**
 * The ticket list's query language, as GitHub and Linear users type it: `is:open status:open,waiting
 * assignee:me project:"Mobile app" priority:high printer`. Pure functions (no Svelte, no i18n): parse
 * text into terms and problems, serialize terms back to canonical text, and turn terms into the API's
 * TicketFilter once names are resolved. The page translates the problems.
 */

export const STATUSES = ['OPEN', 'IN_PROGRESS', 'WAITING', 'RESOLVED', 'CLOSED'] as const;
export const PRIORITIES = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export const CATEGORIES = ['BUG', 'IMPROVEMENT', 'QUESTION', 'OTHER'] as const;

export type StatusValue = (typeof STATUSES)[number];
export type PriorityKey = (typeof PRIORITIES)[number];
export type CategoryKey = (typeof CATEGORIES)[number];

export type FilterKey = 'is' | 'status' | 'priority' | 'category' | 'project' | 'assignee' | 'author';
export const FILTER_KEYS: readonly FilterKey[] = [
  'is',
  'status',
  'priority',
  'category',
  'project',
  'assignee',
  'author',
];
/** What a reporter may filter by: they see only their own tickets, which nobody else authored. */
export const USER_KEYS: readonly FilterKey[] = ['is', 'status', 'priority', 'category', 'project'];

/** Keys whose values are an enum: several values (comma-separated) mean any of them. */
export const ENUM_VALUES: Partial<Record<FilterKey, readonly string[]>> = {
  is: ['OPEN', 'CLOSED'],
  status: STATUSES,
  priority: PRIORITIES,
  category: CATEGORIES,
};
const MULTI_VALUED = new Set<FilterKey>(['status', 'priority', 'category']);

export interface FilterTerm {
  key: FilterKey;
  /** Enum values upper-case (`IN_PROGRESS`), names as typed, `me` and `none` lower-case. */
  values: string[];
  negated: boolean;
}
export interface TextTerm {
  key: 'text';
  values: [string];
  negated: false;
}
export type Term = FilterTerm | TextTerm;

export type Problem =
  | { kind: 'unknownKey'; key: string }
  | { kind: 'keyNotAllowed'; key: FilterKey }
  | { kind: 'missingValue'; key: FilterKey }
  | { kind: 'unknownValue'; key: FilterKey; value: string }
  | { kind: 'oneValue'; key: FilterKey }
  | { kind: 'repeated'; key: FilterKey }
  | { kind: 'negationNotSupported'; token: string }
  | { kind: 'unclosedQuote' }
  | { kind: 'unknownProject'; name: string }
  | { kind: 'unknownUser'; name: string };

export interface ParsedQuery {
  terms: Term[];
  problems: Problem[];
}

interface Token {
  raw: string;
  negated: boolean;
  key: string | null;
  value: string;
  quoted: boolean;
}

/** Splits on spaces, keeping "quoted values" (after a key or alone) whole. */
function tokenize(text: string): { tokens: Token[]; unclosed: boolean } {
  const tokens: Token[] = [];
  let unclosed = false;
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i])) i += 1;
    if (i >= text.length) break;
    const start = i;
    let negated = false;
    if (text[i] === '-' && i + 1 < text.length && !/\s/.test(text[i + 1])) {
      negated = true;
      i += 1;
    }
    let key: string | null = null;
    const keyMatch = /^([a-zA-Z]+):/.exec(text.slice(i));
    if (keyMatch) {
      key = keyMatch[1].toLowerCase();
      i += keyMatch[0].length;
    }
    let value = '';
    let quoted = false;
    if (text[i] === '"') {
      quoted = true;
      const end = text.indexOf('"', i + 1);
      if (end < 0) {
        unclosed = true;
        value = text.slice(i + 1);
        i = text.length;
      } else {
        value = text.slice(i + 1, end);
        i = end + 1;
      }
    }
    // Anything glued after a closing quote, or an unquoted value, runs to the next space.
    while (i < text.length && !/\s/.test(text[i])) {
      value += text[i];
      i += 1;
    }
    tokens.push({ raw: text.slice(start, i), negated, key, value, quoted });
  }
  return { tokens, unclosed };
}

/** `in-progress`, `In_Progress`, `inprogress` → IN_PROGRESS, when it is one of the key's values. */
function enumValue(key: FilterKey, value: string): string | null {
  const wanted = value.toUpperCase().replace(/[-_\s]/g, '');
  return ENUM_VALUES[key]!.find((candidate) => candidate.replace(/_/g, '') === wanted) ?? null;
}

export function parseQuery(text: string, options: { keys?: readonly FilterKey[] } = {}): ParsedQuery {
  const allowed = new Set(options.keys ?? FILTER_KEYS);
  const terms: Term[] = [];
  const problems: Problem[] = [];
  const { tokens, unclosed } = tokenize(text);
  if (unclosed) problems.push({ kind: 'unclosedQuote' });
  const seen = new Set<FilterKey>();

  for (const token of tokens) {
    if (token.key === null) {
      if (token.negated) {
        problems.push({ kind: 'negationNotSupported', token: token.raw });
        continue;
      }
      if (token.value) terms.push({ key: 'text', values: [token.value], negated: false });
      continue;
    }
    if (!(FILTER_KEYS as readonly string[]).includes(token.key)) {
      problems.push({ kind: 'unknownKey', key: token.key });
      continue;
    }
    const key = token.key as FilterKey;
    if (!allowed.has(key)) {
      problems.push({ kind: 'keyNotAllowed', key });
      continue;
    }
    const raw = token.quoted ? [token.value.trim()] : token.value.split(',').map((part) => part.trim());
    const values = raw.filter(Boolean);
    if (values.length === 0) {
      problems.push({ kind: 'missingValue', key });
      continue;
    }
    if (values.length > 1 && !MULTI_VALUED.has(key)) {
      problems.push({ kind: 'oneValue', key });
      continue;
    }
    if (!MULTI_VALUED.has(key) && seen.has(key)) {
      problems.push({ kind: 'repeated', key });
      continue;
    }
    if (ENUM_VALUES[key]) {
      const normalized = values.map((value) => enumValue(key, value));
      const unknown = values.filter((_, index) => normalized[index] === null);
      if (unknown.length > 0) {
        for (const value of unknown) problems.push({ kind: 'unknownValue', key, value });
        continue;
      }
      terms.push({ key, values: [...new Set(normalized as string[])], negated: token.negated });
    } else {
      const [value] = values;
      const special = value.toLowerCase();
      const keyword =
        (key === 'assignee' && (special === 'me' || special === 'none')) ||
        (key === 'author' && special === 'me');
      // The API can say "assigned to anyone" (not none), never "not this person" or "not this project".
      if (token.negated && !(key === 'assignee' && special === 'none')) {
        problems.push({ kind: 'negationNotSupported', token: token.raw });
        continue;
      }
      terms.push({ key, values: [keyword ? special : value], negated: token.negated });
    }
    seen.add(key);
  }
  return { terms, problems };
}

/** A value as it is typed back: quoted when it holds a space, a comma or a quote. */
function quote(value: string): string {
  return /[\s,"]/.test(value) || value === '' ? `"${value.replace(/"/g, '')}"` : value;
}

/** The canonical text of terms: keys and enum values lower-case, names quoted where needed. */
export function serializeQuery(terms: readonly Term[]): string {
  return terms
    .map((term) => {
      if (term.key === 'text') return quote(term.values[0]);
      const values = ENUM_VALUES[term.key]
        ? term.values.map((value) => value.toLowerCase()).join(',')
        : quote(term.values[0]);
      return `${term.negated ? '-' : ''}${term.key}:${values}`;
    })
    .join(' ');
}

/** The query with one key set to a single value ('' removes the key): for the filter menus. */
export function withKey(terms: readonly Term[], key: FilterKey, value: string): Term[] {
  const kept = terms.filter((term) => term.key !== key);
  if (!value) return kept;
  const index = terms.findIndex((term) => term.key === key);
  const term: FilterTerm = { key, values: [value], negated: false };
  if (index < 0) return [...kept, term];
  // In the place of the first term of that key, so the text does not jump around.
  const before = terms.slice(0, index).filter((t) => t.key !== key).length;
  return [...kept.slice(0, before), term, ...kept.slice(before)];
}

/** The single value of a key, for a filter menu: '' when absent, negated or several values. */
export function valueOf(terms: readonly Term[], key: FilterKey): string {
  const found = terms.filter((term) => term.key === key);
  return found.length === 1 && !found[0].negated && found[0].values.length === 1 ? found[0].values[0] : '';
}

/** The API's TicketFilter (the fields this language sets). */
export interface QueryFilter {
  search?: string;
  open?: boolean;
  status?: StatusValue[];
  priority?: PriorityKey[];
  category?: CategoryKey[];
  projectId?: string;
  assigneeId?: string;
  unassigned?: boolean;
  authorId?: string;
}

export interface NameLookup {
  /** The signed-in user's id, for `me`. */
  me: string;
  /** A project's id by its name (any case); undefined when there is none of that name. */
  project: (name: string) => string | undefined;
  /** A user's id by their username (any case); undefined when unknown. */
  user: (name: string) => string | undefined;
}

/** Which name lists the terms need to become a filter (the page loads them only then). */
export function namesNeeded(terms: readonly Term[]): { projects: boolean; users: boolean } {
  const named = (key: FilterKey) =>
    terms.some((term) => term.key === key && term.values[0] !== 'me' && term.values[0] !== 'none');
  return { projects: named('project'), users: named('assignee') || named('author') };
}

/** Terms → TicketFilter. Names that match nothing are problems, never silently left out. */
export function toFilter(
  terms: readonly Term[],
  names: NameLookup,
): { filter: QueryFilter; problems: Problem[] } {
  const filter: QueryFilter = {};
  const problems: Problem[] = [];
  const words: string[] = [];
  const sets: Partial<Record<'status' | 'priority' | 'category', Set<string>>> = {};

  for (const term of terms) {
    const [value] = term.values;
    switch (term.key) {
      case 'text':
        words.push(value);
        break;
      case 'is':
        // -is:open is is:closed; two contradicting terms leave nothing, as the API would answer.
        filter.open = (value === 'OPEN') !== term.negated;
        break;
      case 'status':
      case 'priority':
      case 'category': {
        const all = ENUM_VALUES[term.key]!;
        const current = sets[term.key] ?? new Set(all);
        // Several terms of a key all apply; a negated one keeps the other values.
        const keep = new Set(term.negated ? all.filter((v) => !term.values.includes(v)) : term.values);
        sets[term.key] = new Set([...current].filter((v) => keep.has(v)));
        break;
      }
      case 'project': {
        const id = names.project(value);
        if (id === undefined) problems.push({ kind: 'unknownProject', name: value });
        else filter.projectId = id;
        break;
      }
      case 'assignee':
        if (value === 'none') filter.unassigned = !term.negated;
        else if (value === 'me') filter.assigneeId = names.me;
        else {
          const id = names.user(value);
          if (id === undefined) problems.push({ kind: 'unknownUser', name: value });
          else filter.assigneeId = id;
        }
        break;
      case 'author':
        if (value === 'me') filter.authorId = names.me;
        else {
          const id = names.user(value);
          if (id === undefined) problems.push({ kind: 'unknownUser', name: value });
          else filter.authorId = id;
        }
        break;
    }
  }
  if (sets.status) filter.status = [...sets.status] as StatusValue[];
  if (sets.priority) filter.priority = [...sets.priority] as PriorityKey[];
  if (sets.category) filter.category = [...sets.category] as CategoryKey[];
  if (words.length) filter.search = words.join(' ');
  return { filter, problems };
}

/**
 * The list's old address (`?assignee=me&open=true&project=3`, the header's links and bookmarks) as query
 * text; null when it has none of the old parameters. Ids become names through the lookups; an id that
 * names nothing known is left out (it was a filter on something that is gone).
 */
export function fromOldParams(
  params: URLSearchParams,
  names: { project: (id: string) => string | undefined; user: (id: string) => string | undefined },
): string | null {
  const old = ['open', 'status', 'priority', 'category', 'project', 'assignee', 'author'];
  if (!old.some((name) => params.get(name))) return null;
  const terms: Term[] = [];
  const add = (key: FilterKey, value: string | undefined) => {
    if (value) terms.push({ key, values: [value], negated: false });
  };
  const open = params.get('open');
  if (open === 'true') add('is', 'OPEN');
  if (open === 'false') add('is', 'CLOSED');
  for (const key of ['status', 'priority', 'category'] as const) {
    const value = params.get(key);
    if (value && enumValue(key, value)) add(key, enumValue(key, value)!);
  }
  const project = params.get('project');
  if (project) add('project', names.project(project));
  for (const key of ['assignee', 'author'] as const) {
    const value = params.get(key);
    if (value === 'me' || (key === 'assignee' && value === 'none')) add(key, value);
    else if (value) add(key, names.user(value));
  }
  // The old q was the search words; the new one is the whole query, so it follows as it is.
  return [serializeQuery(terms), params.get('q')?.trim() ?? ''].filter(Boolean).join(' ');
}

/** Which old parameters need a name list to translate. */
export function oldParamsNeed(params: URLSearchParams): { projects: boolean; users: boolean } {
  const id = (name: string) => {
    const value = params.get(name);
    return !!value && value !== 'me' && value !== 'none';
  };
  return { projects: id('project'), users: id('assignee') || id('author') };
}
