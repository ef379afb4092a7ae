import { indexedText } from '../tickets/ticket-search';
import { priorityOrder, statusOrder } from '../tickets/ticket.enums';

/**
 * The benchmark's data set, made the same way every time (a seeded generator): `tickets` tickets over
 * `projects` projects and `users` accounts, about ten jobs each (creation, comments, internal notes,
 * status, priority and assignee changes, in time order), with text drawn from a vocabulary of a few
 * thousand words with a long tail (a handful of words in most tickets, most words in a few), so that a
 * search meets common and rare words. One USER, `reporter`, has exactly 200 tickets (fewer when the
 * set is smaller); the ticket in the middle has 20 jobs. The rows are what the service itself writes for such a history, search index
 * included (see {@link searchRowOf}); no domain events, as an import writes none.
 */
export interface DatasetOptions {
  tickets: number;
  projects?: number;
  users?: number;
  seed?: number;
}

export const BENCH_PASSWORD = 'bench password 2026';
export const ADMIN_USERNAME = 'bench-admin';
export const REPORTER_USERNAME = 'reporter';
export const REPORTER_TICKETS = 200;
/** The jobs of one ticket in the middle of the set, for the bench's single-ticket page. */
export const FULL_HISTORY_JOBS = 20;
const AGENTS = 20;
const DAY = 86_400_000;

export interface UserRow {
  username: string;
  role: 'AGENT' | 'USER';
}

export interface TicketRow {
  /** 1-based position in the set; the ticket's id when the database was empty. */
  index: number;
  title: string;
  description: string;
  /** Rank in statusOrder / priorityOrder, as stored. */
  status: number;
  priority: number;
  category: string;
  /** 0-based project and user positions (users: the list of {@link Dataset.users}). */
  project: number;
  author: number;
  assignee: number | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  jobs: JobRow[];
}

export interface JobRow {
  author: number;
  createdAt: number;
  comment: string | null;
  internal: boolean;
  status: number;
  changes: string;
}

export interface Dataset {
  users: UserRow[];
  projects: string[];
  vocabulary: string[];
  /** A word in a large share of the tickets, one in about a hundred, one in a handful. */
  words: { common: string; middle: string; rare: string };
  /** The position of the one ticket with {@link FULL_HISTORY_JOBS} jobs (the others have 1 to 19). */
  fullHistory: number;
  tickets(): Generator<TicketRow>;
}

/** mulberry32: a small, fast generator, the same sequence for the same seed. */
export function randomFrom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const SYLLABLES = [
  'ba',
  'be',
  'bo',
  'ca',
  'co',
  'da',
  'de',
  'di',
  'do',
  'fa',
  'fe',
  'ga',
  'go',
  'ka',
  'ki',
  'la',
  'le',
  'li',
  'lo',
  'lu',
  'ma',
  'me',
  'mi',
  'mo',
  'na',
  'ne',
  'ni',
  'no',
  'pa',
  'pe',
  'po',
  'ra',
  're',
  'ri',
  'ro',
  'sa',
  'se',
  'si',
  'so',
  'ta',
  'te',
  'ti',
  'to',
  'va',
  've',
  'vi',
  'za',
  'zo',
  'tor',
  'lin',
  'mar',
  'sen',
  'dul',
];

/** Real words first (the most frequent), then made-up ones: 3,000 distinct words in all. */
const COMMON_WORDS = [
  'the',
  'page',
  'login',
  'error',
  'button',
  'export',
  'email',
  'search',
  'slow',
  'crash',
  'report',
  'invoice',
  'photo',
  'upload',
  'mobile',
  'screen',
  'account',
  'password',
  'settings',
  'message',
  'payment',
  'calendar',
];

function vocabularyOf(random: () => number, size: number): string[] {
  const words = new Set(COMMON_WORDS);
  while (words.size < size) {
    const count = 2 + Math.floor(random() * 3);
    let word = '';
    for (let i = 0; i < count; i += 1) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

export function datasetOf(options: DatasetOptions): Dataset {
  const projectsCount = options.projects ?? 20;
  const usersCount = options.users ?? 1000;
  const seed = options.seed ?? 2026;
  const vocabulary = vocabularyOf(randomFrom(seed), 3000);
  const users: UserRow[] = [];
  for (let i = 1; i <= usersCount; i += 1) {
    if (i <= AGENTS) users.push({ username: `agent${String(i).padStart(2, '0')}`, role: 'AGENT' });
    else if (i === AGENTS + 1) users.push({ username: REPORTER_USERNAME, role: 'USER' });
    else users.push({ username: `user${String(i).padStart(4, '0')}`, role: 'USER' });
  }
  const reporter = AGENTS;
  const projects = Array.from(
    { length: projectsCount },
    (_, i) => `Project ${String(i + 1).padStart(2, '0')}`,
  );
  const total = options.tickets;
  const reporterEvery = Math.max(1, Math.floor(total / REPORTER_TICKETS));
  const fullHistory = Math.ceil(total / 2);

  function* tickets(): Generator<TicketRow> {
    const random = randomFrom(seed + 1);
    const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)];
    // Log-uniform ranks: word 0 in most texts, word 2,999 in a few.
    const word = () => vocabulary[Math.floor(Math.exp(random() * Math.log(vocabulary.length + 1))) - 1];
    const sentence = (min: number, max: number) => {
      const count = min + Math.floor(random() * (max - min + 1));
      const parts: string[] = [];
      for (let i = 0; i < count; i += 1) parts.push(word());
      const text = parts.join(' ');
      return text.charAt(0).toUpperCase() + text.slice(1) + '.';
    };
    const now = Date.now();
    const span = 730 * DAY;
    const start = now - span;
    const doneStatuses = [3, 4];
    for (let index = 1; index <= total; index += 1) {
      const createdAt = Math.floor(start + (span * (index - 1)) / total + random() * 60_000);
      const age = (now - createdAt) / span;
      const author =
        index % reporterEvery === 0 && index / reporterEvery <= REPORTER_TICKETS
          ? reporter
          : AGENTS + 1 + Math.floor(random() * (usersCount - AGENTS - 1));
      const agent = () => Math.floor(random() * AGENTS);
      let assignee: number | null = random() < 0.7 ? agent() : null;
      let priority = Math.min(3, Math.floor(random() * random() * 5));
      // Older tickets are mostly done; the newest are mostly open.
      const finalStatus = random() < 0.15 + 0.8 * age ? pick(doneStatuses) : Math.floor(random() * 3);
      const drawn = 1 + Math.floor(random() * 19);
      const jobCount = index === fullHistory ? FULL_HISTORY_JOBS : drawn;
      const jobs: JobRow[] = [];
      let at = createdAt;
      let status = 0;
      let closedAt: number | null = null;
      jobs.push({
        author,
        createdAt,
        comment: null,
        internal: false,
        status: 0,
        changes: JSON.stringify([{ field: 'status', from: null, to: statusOrder[0] }]),
      });
      for (let j = 1; j < jobCount; j += 1) {
        at += Math.floor(random() * 3 * DAY * Math.min(1, age * 4 + 0.01)) + 60_000;
        at = Math.min(at, now - (jobCount - j) * 1000);
        const last = j === jobCount - 1;
        const kind = last ? 'status' : random();
        const staff = agent();
        if (kind === 'status' || (typeof kind === 'number' && kind < 0.2)) {
          const to = last ? finalStatus : Math.floor(random() * 3);
          if (to === status) {
            jobs.push(commentJob(staff, at, false));
            continue;
          }
          jobs.push({
            author: staff,
            createdAt: at,
            comment: random() < 0.5 ? sentence(4, 16) : null,
            internal: false,
            status: to,
            changes: JSON.stringify([{ field: 'status', from: statusOrder[status], to: statusOrder[to] }]),
          });
          status = to;
          closedAt = to >= 3 ? at : null;
        } else if (kind < 0.3) {
          const to = agent();
          jobs.push({
            author: staff,
            createdAt: at,
            comment: null,
            internal: false,
            status,
            changes: JSON.stringify([
              {
                field: 'assignee',
                from: assignee === null ? null : users[assignee].username,
                to: users[to].username,
              },
            ]),
          });
          assignee = to;
        } else if (kind < 0.38) {
          const to = (priority + 1 + Math.floor(random() * 3)) % 4;
          jobs.push({
            author: staff,
            createdAt: at,
            comment: null,
            internal: false,
            status,
            changes: JSON.stringify([
              { field: 'priority', from: priorityOrder[priority], to: priorityOrder[to] },
            ]),
          });
          priority = to;
        } else if (kind < 0.5) {
          jobs.push(commentJob(staff, at, true));
        } else {
          jobs.push(commentJob(random() < 0.4 ? author : staff, at, false));
        }
      }
      const closed = status >= 3;
      yield {
        index,
        title: sentence(3, 8).slice(0, -1),
        description: `${sentence(10, 30)} ${sentence(5, 20)}`,
        status,
        priority,
        category: pick(['BUG', 'BUG', 'IMPROVEMENT', 'QUESTION', 'OTHER']),
        project: Math.floor(random() * random() * projectsCount),
        author,
        assignee,
        createdAt,
        updatedAt: jobs[jobs.length - 1].createdAt,
        closedAt: closed ? closedAt : null,
        jobs,
      };

      function commentJob(by: number, when: number, internal: boolean): JobRow {
        return { author: by, createdAt: when, comment: sentence(6, 30), internal, status, changes: '[]' };
      }
    }
  }

  return {
    users,
    projects,
    vocabulary,
    words: { common: vocabulary[0], middle: vocabulary[60], rare: vocabulary[2900] },
    fullHistory,
    tickets,
  };
}

/**
 * The search row the service's index holds once this ticket and its jobs were written through it:
 * SQLite's FTS5 (text in NFKC, each comment after a line feed, as Fts5SearchIndex.addComment appends)
 * and PostgreSQL's (folded words, one space apart, as TsvectorSearchIndex does).
 */
export function searchRowOf(
  ticket: Pick<TicketRow, 'title' | 'description' | 'jobs'>,
  dialect: 'sqlite' | 'postgres',
): { title: string; description: string; comments: string; internalComments: string } {
  if (dialect === 'sqlite') {
    let comments = '';
    let internalComments = '';
    for (const job of ticket.jobs) {
      if (!job.comment) continue;
      if (job.internal) internalComments += `\n${job.comment.normalize('NFKC')}`;
      else comments += `\n${job.comment.normalize('NFKC')}`;
    }
    return {
      title: ticket.title.normalize('NFKC'),
      description: ticket.description.normalize('NFKC'),
      comments,
      internalComments,
    };
  }
  let comments = '';
  let internalComments = '';
  for (const job of ticket.jobs) {
    if (!job.comment) continue;
    if (job.internal) internalComments += ` ${indexedText(job.comment)}`;
    else comments += ` ${indexedText(job.comment)}`;
  }
  return {
    title: indexedText(ticket.title),
    description: indexedText(ticket.description),
    comments,
    internalComments,
  };
}
