import DataLoader from 'dataloader';
import type { Context } from '../context';
import { inList, readRows } from '../loaders';
import type { DuplicateLoaders } from './duplicates';

const perRequest = new WeakMap<object, DataLoader<number, number | null>>();

/**
 * The duplicate fields' loaders of a request: the request's own ticketById, and the duplicateOfId of
 * each ticket (the column the loaders' ticket rows leave out), one statement per batch. Kept beside
 * the request's loaders, and gone with them.
 */
export function duplicateLoadersOf(ctx: Pick<Context, 'loaders' | 'services'>): DuplicateLoaders {
  let duplicateOfIdByTicketId = perRequest.get(ctx.loaders);
  if (!duplicateOfIdByTicketId) {
    const manager = ctx.services.database.manager;
    duplicateOfIdByTicketId = new DataLoader(async (ids) => {
      const list = inList(ids);
      const rows = await readRows<{ id: number; duplicateOfId: number | null }>(
        manager,
        `SELECT "id", "duplicateOfId" FROM "ticket" WHERE "id" ${list.sql}`,
        list.parameters,
      );
      const byId = new Map(rows.map((row) => [Number(row.id), row.duplicateOfId]));
      return ids.map((id) => byId.get(id) ?? null);
    });
    perRequest.set(ctx.loaders, duplicateOfIdByTicketId);
  }
  return { duplicateOfIdByTicketId, ticketById: ctx.loaders.ticketById };
}
