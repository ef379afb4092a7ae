import DataLoader from 'dataloader';
import type { EntityManager } from 'typeorm';
import { canSeeTicket } from '../access/access-policy';
import type { Context } from '../context';
import { BadInputError } from '../errors';
import { inList, readRows } from '../loaders';
import { storedLength } from '../text';
import { DESCRIPTION_MAX_LENGTH } from '../tickets/ticket.inputs';
import type { User } from '../users/user.entity';
import { parseMarkdown } from './markdown';

/** Ids per lookup of visible tickets: a power of two, as inList pads the list to one. */
const IDS_PER_LOOKUP = 512;

/**
 * Markdown for one request's reader: the `#N` of every text rendered in the request are looked up
 * together (one statement for a page of descriptions), and linked only where the reader sees ticket N.
 */
export class MarkdownReader {
  private readonly visibleTicket: DataLoader<number, boolean>;

  constructor(manager: EntityManager, viewer: () => User | null) {
    this.visibleTicket = new DataLoader(
      async (ids) => {
        const user = viewer();
        if (!user) return ids.map(() => false);
        const list = inList(ids);
        const rows = await readRows<{ id: number | string; authorId: number | string }>(
          manager,
          `SELECT "id", "authorId" FROM "ticket" WHERE "id" ${list.sql}`,
          list.parameters,
        );
        const visible = new Set(
          rows
            .filter((row) => canSeeTicket(user, { authorId: Number(row.authorId) }))
            .map((row) => Number(row.id)),
        );
        return ids.map((id) => visible.has(id));
      },
      { maxBatchSize: IDS_PER_LOOKUP },
    );
  }

  /** The HTML of a stored text (a description, a comment) for this reader. */
  async render(text: string): Promise<string> {
    const parsed = parseMarkdown(text);
    const visible = await this.visibleTicket.loadMany(parsed.references);
    return parsed.render(new Set(parsed.references.filter((_, index) => visible[index] === true)));
  }

  /** renderMarkdown: a form's preview, refused past the longest text a ticket stores. */
  async preview(text: string): Promise<string> {
    if (storedLength(text) > DESCRIPTION_MAX_LENGTH) {
      throw BadInputError.field(
        'text',
        'length',
        `text must be at most ${DESCRIPTION_MAX_LENGTH} characters long.`,
      );
    }
    return this.render(text);
  }
}

/** Created on a request's first markdown field; keyed by the context object the resolvers receive. */
const readers = new WeakMap<Context, MarkdownReader>();

export function markdownReaderOf(context: Context): MarkdownReader {
  let reader = readers.get(context);
  if (!reader) {
    reader = new MarkdownReader(context.services.database.manager, () => context.user);
    readers.set(context, reader);
  }
  return reader;
}
