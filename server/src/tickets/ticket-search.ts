import type { EntityManager, SelectQueryBuilder } from 'typeorm';
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

/** A search narrowed into a ticket query: how to rank its rows, best first. */
export interface SearchRanking {
  expression: string;
  direction: 'ASC' | 'DESC';
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
   * Keeps the tickets of query (aliased `t`) that hold every word (as a prefix); null, and the query
   * untouched, when nothing searchable is left.
   */
  narrow(query: SelectQueryBuilder<Ticket>, search: string, includeInternal: boolean): SearchRanking | null;
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

  narrow(query: SelectQueryBuilder<Ticket>, search: string, includeInternal: boolean): SearchRanking | null {
    const match = Fts5SearchIndex.matchExpression(search, includeInternal);
    if (!match) return null;
    query
      .innerJoin('ticket_search', 'ticket_search', 'ticket_search.rowid = t.id')
      .andWhere('ticket_search MATCH :match', { match });
    return { expression: 'bm25(ticket_search)', direction: 'ASC' };
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

/**
 * PostgreSQL: table ticket_search with the text folded in the application (no extension needed) and two
 * generated tsvector columns under GIN indexes, one without the internal notes for USERs.
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

  narrow(query: SelectQueryBuilder<Ticket>, search: string, includeInternal: boolean): SearchRanking | null {
    const tsquery = TsvectorSearchIndex.tsquery(search);
    if (!tsquery) return null;
    const vector = includeInternal ? 'ticket_search."staffVector"' : 'ticket_search."publicVector"';
    query
      .innerJoin('ticket_search', 'ticket_search', 'ticket_search."ticketId" = t.id')
      .andWhere(`${vector} @@ to_tsquery('simple', :tsquery)`, { tsquery });
    return { expression: `ts_rank(${vector}, to_tsquery('simple', :tsquery))`, direction: 'DESC' };
  }

  /** A tsquery: every folded word as a prefix (`word:*`), joined by AND; only letters and digits. */
  static tsquery(search: string): string | null {
    const words = searchWords(indexedText(search));
    return words.length === 0 ? null : words.map((word) => `${word}:*`).join(' & ');
  }
}

const adapters: Record<Dialect, TicketSearchIndex> = {
  sqlite: new Fts5SearchIndex(),
  postgres: new TsvectorSearchIndex(),
};

/** The search index of the database a manager talks to. */
export function searchIndexOf(manager: Pick<EntityManager, 'connection'>): TicketSearchIndex {
  return adapters[isPostgres(manager) ? 'postgres' : 'sqlite'];
}
