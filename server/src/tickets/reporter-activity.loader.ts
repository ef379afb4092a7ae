import DataLoader from 'dataloader';
import { canSeeReporterActivity } from '../access/access-policy';
import type { Context } from '../context';
import { inList, readRows } from '../loaders';

const perRequest = new WeakMap<object, DataLoader<number, Date | null>>();

/**
 * When each ticket's reporter last wrote on it (the opening, a comment, a change: any job of theirs),
 * null where they never did, one statement per batch: a page of tickets costs one read. Kept beside the
 * request's loaders, and gone with them (as duplicate-of.loader.ts).
 */
function lastReporterJobAtByTicketId(
  ctx: Pick<Context, 'loaders' | 'services'>,
): DataLoader<number, Date | null> {
  let loader = perRequest.get(ctx.loaders);
  if (!loader) {
    const manager = ctx.services.database.manager;
    loader = new DataLoader(async (ticketIds) => {
      const list = inList(ticketIds);
      const rows = await readRows<{ ticketId: number | string; at: number | string }>(
        manager,
        `SELECT "j"."ticketId" AS "ticketId", MAX("j"."createdAt") AS "at" FROM "job" "j"
          INNER JOIN "ticket" "t" ON "t"."id" = "j"."ticketId" AND "t"."authorId" = "j"."authorId"
          WHERE "j"."ticketId" ${list.sql} GROUP BY "j"."ticketId"`,
        list.parameters,
      );
      const byTicket = new Map(rows.map((row) => [Number(row.ticketId), new Date(Number(row.at))]));
      return ticketIds.map((id) => byTicket.get(id) ?? null);
    });
    perRequest.set(ctx.loaders, loader);
  }
  return loader;
}

/** Ticket.lastReporterActivityAt: null for whoever may not see it (the access policy), else batched. */
export function lastReporterActivityAt(
  ctx: Pick<Context, 'user' | 'loaders' | 'services'>,
  ticketId: number,
): Promise<Date | null> | null {
  return canSeeReporterActivity(ctx.user) ? lastReporterJobAtByTicketId(ctx).load(ticketId) : null;
}
