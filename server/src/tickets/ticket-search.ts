import type { EntityManager } from 'typeorm';
import type { Ticket } from './ticket.entity';

const MAX_SEARCH_WORDS = 20;

/**
 * The full-text index of tickets (SQLite FTS5, table ticket_search, rowid = ticket id), written in the
 * same transaction as the ticket and its jobs. Internal notes have their own column, searched by staff only.
 */
export class TicketSearchIndex {
  async add(manager: EntityManager, ticket: Pick<Ticket, 'id' | 'title' | 'description'>): Promise<void> {
    await manager.query(
      `INSERT INTO "ticket_search" (rowid, title, description, comments, internal_comments) VALUES (?, ?, ?, '', '')`,
      [ticket.id, ticket.title, ticket.description],
    );
  }

  async updateText(
    manager: EntityManager,
    ticket: Pick<Ticket, 'id' | 'title' | 'description'>,
  ): Promise<void> {
    await manager.query(`UPDATE "ticket_search" SET title = ?, description = ? WHERE rowid = ?`, [
      ticket.title,
      ticket.description,
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
      comment,
      ticketId,
    ]);
  }

  /**
   * Turns what a person typed into an FTS5 query: every word must appear (as a prefix), punctuation is
   * ignored, so no input can inject FTS5 syntax. Null when nothing searchable is left.
   */
  static matchExpression(search: string, includeInternal: boolean): string | null {
    const words = (search.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, MAX_SEARCH_WORDS);
    if (words.length === 0) return null;
    const terms = words.map((word) => `"${word}"*`).join(' ');
    return includeInternal ? terms : `{title description comments} : (${terms})`;
  }
}
