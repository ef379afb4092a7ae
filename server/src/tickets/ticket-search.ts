import { type PoolClient, type QueryResult, escapeLiteral } from 'pg';
import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { Dialect } from '../database/data-source';
import { isPostgres, rawQuery } from '../database/sql';
import type { Ticket } from './ticket.entity';

const MAX_SEARCH_WORDS = 20;

/** The words of a text as FTS5's unicode61 tokenizer sees them: runs of letters and digits. */
export function wordsOf(text: string): string[] {
  return text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** The words of what a person typed: letters and digits only, so no input can inject index syntax. */
export function searchWords(search: string): string[] {
  return wordsOf(search).slice(0, MAX_SEARCH_WORDS);
}

/**
 * How many tickets a search may match and still be ranked by relevance. Beyond, its results come
 * newest first: ranking costs time in proportion to the matches, and a word found in that many tickets
 * says little of which one is meant (its bm25 or ts_rank weight nears 0). See the README, "Decisions".
 */
export const RELEVANCE_LIMIT = 1000;

/** Where a page of search results starts: an offset into the relevance order, or below a ticket id. */
export type SearchPosition = { by: 'relevance'; offset: number } | { by: 'newest'; beforeId?: number };

/**
 * What one database needs to search its index, aliased `ticket_search`: the ticket id column, the
 * condition that keeps the tickets holding every word, and the rank of a match (best first).
 */
export interface SearchClause {
  id: string;
  /** The id as a filter on candidates; FTS5 must walk its matches rather than look each candidate up. */
  candidateId: string;
  condition: string;
  parameters: ObjectLiteral;
  rank: string;
  rankDirection: 'ASC' | 'DESC';
}

/**
 * The tickets a search looks among: a query over tickets aliased `t` (visibility and the other filters).
 * With few matches in the index, each match is looked up in it; with many, it is read once and each
 * match checked against that list.
 */
export interface SearchCandidates {
  query: SelectQueryBuilder<Ticket>;
  fewMatches: boolean;
  /** The viewer sees only some tickets (a USER, their own): the database drives the search from them. */
  fewTickets: boolean;
}

/** Reads the rows of a statement that counts a search's matches, as its database must plan it. */
export type IndexReader = (
  manager: EntityManager,
  query: SelectQueryBuilder<ObjectLiteral>,
) => Promise<ObjectLiteral[]>;

const readAsPlanned: IndexReader = (_manager, query) => query.getRawMany();

/**
 * A search of the index, for one viewer's columns. Candidates are null when every ticket is one: then
 * the index alone answers.
 */
export class TicketSearch {
  constructor(
    private readonly manager: EntityManager,
    private readonly clause: SearchClause,
    private readonly readIndex: IndexReader = readAsPlanned,
  ) {}

  /** Whether more than `limit` tickets of the index hold every word; reads at most limit + 1 entries. */
  async matchesMoreThan(limit: number): Promise<boolean> {
    const hits = this.fromIndex(null)
      .select('1')
      .limit(limit + 1);
    const count = this.manager
      .createQueryBuilder()
      .select('COUNT(*)', 'count')
      .from(`(${hits.getQuery()})`, 'hits')
      .setParameters(hits.getParameters());
    return Number((await this.readIndex(this.manager, count))[0]?.count ?? 0) > limit;
  }

  async count(candidates: SearchCandidates | null): Promise<number> {
    const count = this.fromIndex(candidates).select('COUNT(*)', 'count');
    const rows = candidates?.fewTickets
      ? await count.getRawMany()
      : await this.readIndex(this.manager, count);
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * The ids of up to `limit` matching candidates from `position`, in its order: planned as the database
   * sees fit, since an order by id or rank (or a LIMIT of a few rows) already keeps it from reading
   * every row.
   */
  async ids(candidates: SearchCandidates | null, position: SearchPosition, limit: number): Promise<number[]> {
    const query = this.fromIndex(candidates).select(this.clause.id, 'id');
    if (position.by === 'relevance') {
      query
        .orderBy(this.clause.rank, this.clause.rankDirection)
        .addOrderBy(this.clause.id, 'DESC')
        .offset(position.offset);
    } else {
      if (position.beforeId !== undefined)
        query.andWhere(`${this.clause.id} < :beforeId`, { beforeId: position.beforeId });
      query.orderBy(this.clause.id, 'DESC');
    }
    const rows = await query.limit(limit).getRawMany<{ id: string | number }>();
    return rows.map((row) => Number(row.id));
  }

  /** Keeps the tickets of query (aliased `t`) that hold every word, for orders other than relevance. */
  narrow(query: SelectQueryBuilder<Ticket>): void {
    query
      .innerJoin('ticket_search', 'ticket_search', `${this.clause.id} = t.id`)
      .andWhere(this.clause.condition, this.clause.parameters);
  }

  private fromIndex(candidates: SearchCandidates | null): SelectQueryBuilder<ObjectLiteral> {
    const query = this.manager
      .createQueryBuilder()
      .from('ticket_search', 'ticket_search')
      .where(this.clause.condition, this.clause.parameters);
    if (!candidates) return query;
    const tickets = candidates.fewMatches
      ? candidates.query.clone().select('1').andWhere(`t.id = ${this.clause.id}`)
      : candidates.query.clone().select('t.id');
    const condition = candidates.fewMatches
      ? `EXISTS (${tickets.getQuery()})`
      : `${this.clause.candidateId} IN (${tickets.getQuery()})`;
    return query.andWhere(condition).setParameters({ ...tickets.getParameters(), ...this.clause.parameters });
  }
}

/**
 * The full-text index of tickets, one adapter per database, written in the same transaction as the
 * ticket and its jobs. Internal notes are indexed apart, searched by staff only.
 */
export interface TicketSearchIndex {
  add(manager: EntityManager, ticket: Pick<Ticket, 'id' | 'title' | 'description'>): Promise<void>;
  updateText(manager: EntityManager, ticket: Pick<Ticket, 'id' | 'title' | 'description'>): Promise<void>;
  addComment(manager: EntityManager, ticketId: number, comment: string, internal: boolean): Promise<void>;
  /**
   * The search of the tickets that hold every word (as a prefix); null when nothing searchable is
   * left, and the search then narrows nothing.
   */
  search(manager: EntityManager, search: string, includeInternal: boolean): TicketSearch | null;
  /**
   * The search of the tickets whose public text (title, description, public comments) holds any of
   * the words (as a prefix), best first; null when no word is left. Words are picked by the caller
   * (duplicates.ts); anything but letters and digits is dropped here again, so no word can carry
   * index syntax. Internal notes are left out for every viewer: likeness is judged on what all see.
   */
  similar(manager: EntityManager, words: readonly string[]): TicketSearch | null;
}

/** The words that are plain letters and digits, the only ones a similarity query is made of. */
function plainWords(words: readonly string[]): string[] {
  return words.filter((word) => /^[\p{L}\p{N}]+$/u.test(word));
}

/**
 * SQLite: an FTS5 table, rowid = ticket id, accents folded by the unicode61 tokenizer. The text is
 * indexed in NFKC, as searches are made (a ligature such as ﬁ is then the letters f and i).
 */
export class Fts5SearchIndex implements TicketSearchIndex {
  async add(manager: EntityManager, ticket: Pick<Ticket, 'id' | 'title' | 'description'>): Promise<void> {
    await manager.query(
      `INSERT INTO "ticket_search" (rowid, title, description, comments, internal_comments) VALUES (?, ?, ?, '', '')`,
      [ticket.id, ticket.title.normalize('NFKC'), ticket.description.normalize('NFKC')],
    );
  }

  async updateText(
    manager: EntityManager,
    ticket: Pick<Ticket, 'id' | 'title' | 'description'>,
  ): Promise<void> {
    await manager.query(`UPDATE "ticket_search" SET title = ?, description = ? WHERE rowid = ?`, [
      ticket.title.normalize('NFKC'),
      ticket.description.normalize('NFKC'),
      ticket.id,
    ]);
  }

  async addComment(
    manager: EntityManager,
    ticketId: number,
    comment: string,
    internal: boolean,
  ): Promise<void> {
    const column = internal ? 'internal_comments' : 'comments';
    await manager.query(`UPDATE "ticket_search" SET ${column} = ${column} || char(10) || ? WHERE rowid = ?`, [
      comment.normalize('NFKC'),
      ticketId,
    ]);
  }

  search(manager: EntityManager, search: string, includeInternal: boolean): TicketSearch | null {
    const match = Fts5SearchIndex.matchExpression(search, includeInternal);
    if (!match) return null;
    return new TicketSearch(manager, {
      id: 'ticket_search.rowid',
      // A unary + keeps FTS5 from being asked once per candidate (each a new query of the index).
      candidateId: '+ticket_search.rowid',
      condition: 'ticket_search MATCH :match',
      parameters: { match },
      rank: 'bm25(ticket_search)',
      rankDirection: 'ASC',
    });
  }

  similar(manager: EntityManager, words: readonly string[]): TicketSearch | null {
    const match = Fts5SearchIndex.similarExpression(words);
    if (!match) return null;
    return new TicketSearch(manager, {
      id: 'ticket_search.rowid',
      candidateId: '+ticket_search.rowid',
      condition: 'ticket_search MATCH :similarMatch',
      parameters: { similarMatch: match },
      // The title weighs most, as ts_rank's weight A does on PostgreSQL; internal notes not at all.
      rank: 'bm25(ticket_search, 4.0, 2.0, 1.0, 0.0)',
      rankDirection: 'ASC',
    });
  }

  /** An FTS5 query: any word, each quoted and as a prefix, in the public columns only. */
  static similarExpression(words: readonly string[]): string | null {
    const terms = plainWords(words).map((word) => `"${word}"*`);
    return terms.length === 0 ? null : `{title description comments} : (${terms.join(' OR ')})`;
  }

  /** An FTS5 query: every word must appear (as a prefix); a USER's leaves the internal notes column out. */
  static matchExpression(search: string, includeInternal: boolean): string | null {
    const words = searchWords(search);
    if (words.length === 0) return null;
    const terms = words.map((word) => `"${word}"*`).join(' ');
    return includeInternal ? terms : `{title description comments} : (${terms})`;
  }
}

/** Lower case without accents, as FTS5's `unicode61 remove_diacritics 2` sees text. */
export function foldForSearch(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/**
 * The text PostgreSQL indexes: the folded words, one space apart, so its parser (which keeps
 * `alice@example.com`, `v1.2.3` or `/var/log/syslog` whole, and depends on the server's locale) sees
 * the same words FTS5 does and a search for `example`, `2` or `syslog` finds them.
 */
export function indexedText(text: string): string {
  return wordsOf(foldForSearch(text)).join(' ');
}

/**
 * How much of a ticket's comments (and, apart, of its internal notes) PostgreSQL indexes: a tsvector
 * holds at most 1 MB, and a comment past it would fail. The first 250,000 characters of each are kept;
 * later comments are saved as always, only not found by search.
 */
export const INDEXED_COMMENTS_MAX = 250_000;

/** The longest prefix indexed as a word of its own, as SQLite's `prefix = '1 2 3'`. */
const PREFIX_MAX = 3;

/**
 * PostgreSQL: table ticket_search with the text folded in the application (no extension needed).
 * Searches match generated vectors of words and their 1- to 3-character prefixes under GIN, one without
 * the internal notes for USERs; ts_rank reads the vectors with positions (see PostgresSearchWords1765250000000).
 */
export class TsvectorSearchIndex implements TicketSearchIndex {
  async add(manager: EntityManager, ticket: Pick<Ticket, 'id' | 'title' | 'description'>): Promise<void> {
    await rawQuery(
      manager,
      `INSERT INTO "ticket_search" ("ticketId", "title", "description", "comments", "internalComments")
       VALUES (?, ?, ?, '', '')`,
      [ticket.id, indexedText(ticket.title), indexedText(ticket.description)],
    );
  }

  async updateText(
    manager: EntityManager,
    ticket: Pick<Ticket, 'id' | 'title' | 'description'>,
  ): Promise<void> {
    await rawQuery(
      manager,
      `UPDATE "ticket_search" SET "title" = ?, "description" = ? WHERE "ticketId" = ?`,
      [indexedText(ticket.title), indexedText(ticket.description), ticket.id],
    );
  }

  async addComment(
    manager: EntityManager,
    ticketId: number,
    comment: string,
    internal: boolean,
  ): Promise<void> {
    const column = internal ? '"internalComments"' : '"comments"';
    await rawQuery(
      manager,
      `UPDATE "ticket_search" SET ${column} = left(${column} || ' ' || ?, ${INDEXED_COMMENTS_MAX}) WHERE "ticketId" = ?`,
      [indexedText(comment), ticketId],
    );
  }

  search(manager: EntityManager, search: string, includeInternal: boolean): TicketSearch | null {
    const words = TsvectorSearchIndex.wordsQuery(search);
    const tsquery = TsvectorSearchIndex.tsquery(search);
    if (!words || !tsquery) return null;
    const [wordsColumn, vector] = includeInternal
      ? ['ticket_search."staffWords"', 'ticket_search."staffVector"']
      : ['ticket_search."publicWords"', 'ticket_search."publicVector"'];
    return new TicketSearch(
      manager,
      {
        id: 'ticket_search."ticketId"',
        candidateId: 'ticket_search."ticketId"',
        condition: `${wordsColumn} @@ to_tsquery('simple', :words)`,
        parameters: { words, tsquery },
        rank: `ts_rank(${vector}, to_tsquery('simple', :tsquery))`,
        rankDirection: 'DESC',
      },
      TsvectorSearchIndex.throughBitmap,
    );
  }

  similar(manager: EntityManager, words: readonly string[]): TicketSearch | null {
    const plain = plainWords(words.map(foldForSearch));
    if (plain.length === 0) return null;
    return new TicketSearch(manager, {
      id: 'ticket_search."ticketId"',
      candidateId: 'ticket_search."ticketId"',
      condition: `ticket_search."publicWords" @@ to_tsquery('simple', :similarWords)`,
      parameters: {
        similarWords: plain.map((word) => (word.length <= PREFIX_MAX ? word : `${word}:*`)).join(' | '),
        similarRank: plain.map((word) => `${word}:*`).join(' | '),
      },
      rank: `ts_rank(ticket_search."publicVector", to_tsquery('simple', :similarRank))`,
      rankDirection: 'DESC',
    });
  }

  /**
   * Counts read ticket_search through its GIN bitmap or by ticket id, never sequentially. A row holds
   * only pointers to its toasted texts and vectors, so a sequential scan detoasts every vector it tests
   * (a common word's count: 0.9 s at 100k tickets, 1.8 s with `open: true`), while a bitmap count reads
   * no vector (19 ms; 100 ms with `open: true`); the planner prices either test as one operator call and
   * picks the sequential scan for common words.
   */
  private static readonly throughBitmap: IndexReader = async (manager, query) => {
    const [sql, parameters] = query.getQueryAndParameters();
    const text = sql.replace(/\$(\d+)/g, (_, index: string) => sqlLiteral(parameters[Number(index) - 1]));
    const runner = manager.connection.createQueryRunner();
    try {
      const client = (await runner.connect()) as PoolClient;
      // One message of two statements, one implicit transaction: SET LOCAL holds for this statement
      // only, an error rolls both back, and the search costs no extra round trip. Such a message
      // takes no bound values, hence the literals.
      const results = (await client.query(
        `SET LOCAL enable_seqscan = off; ${text}`,
      )) as unknown as QueryResult[];
      return results[1].rows as ObjectLiteral[];
    } finally {
      await runner.release();
    }
  };

  /** A tsquery on the vectors with positions: every folded word as a prefix (`word:*`), joined by AND. */
  static tsquery(search: string): string | null {
    const words = searchWords(indexedText(search));
    return words.length === 0 ? null : words.map((word) => `${word}:*`).join(' & ');
  }

  /**
   * The same search on the vectors of words and prefixes: a word of up to 3 characters is itself an
   * entry there (its prefix), a longer one is looked up as a prefix.
   */
  static wordsQuery(search: string): string | null {
    const words = searchWords(indexedText(search));
    if (words.length === 0) return null;
    return words.map((word) => (word.length <= PREFIX_MAX ? word : `${word}:*`)).join(' & ');
  }
}

/** A value of a search statement as an SQL literal: numbers, and text escaped by pg. */
function sqlLiteral(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string') return escapeLiteral(value);
  throw new TypeError(`A search statement takes numbers and text, not ${typeof value}`);
}

const adapters: Record<Dialect, TicketSearchIndex> = {
  sqlite: new Fts5SearchIndex(),
  postgres: new TsvectorSearchIndex(),
};

/** The search index of the database a manager talks to. */
export function searchIndexOf(manager: Pick<EntityManager, 'connection'>): TicketSearchIndex {
  return adapters[isPostgres(manager) ? 'postgres' : 'sqlite'];
}
