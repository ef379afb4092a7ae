import DataLoader from 'dataloader';
import { canSeeAttachment, canSeeInternalNotes } from '../access/access-policy';
import type { Context } from '../context';
import { inList, readRows } from '../loaders';
import type { Job } from '../tickets/job.entity';
import type { Ticket } from '../tickets/ticket.entity';
import {
  type Attachment,
  type AttachmentRow,
  attachmentColumns,
  attachmentFromRow,
} from './attachment.entity';

interface LinkedAttachment {
  attachment: Attachment;
  /** Whether its job is an internal note. */
  internal: boolean;
}

interface AttachmentLoaders {
  /** The linked files of each ticket, oldest first, whoever may see them: visibility is applied by the caller. */
  byTicketId: DataLoader<number, LinkedAttachment[]>;
  /** The files of each job, oldest first. */
  byJobId: DataLoader<number, Attachment[]>;
}

const perRequest = new WeakMap<object, AttachmentLoaders>();

const linkedColumns = `${attachmentColumns.replace(/"(\w+)"/g, 'a."$1"')}, j."internal" AS "internal"`;

/** Rows grouped under the key each belongs to, in the order asked (a page of tickets: one statement). */
function groupBy<T>(keys: readonly number[], items: T[], keyOf: (item: T) => number): T[][] {
  const groups = new Map<number, T[]>(keys.map((key) => [key, []]));
  for (const item of items) groups.get(keyOf(item))?.push(item);
  return keys.map((key) => groups.get(key)!);
}

/** The attachment loaders of a request, kept beside its other loaders and gone with them. */
export function attachmentLoadersOf(ctx: Pick<Context, 'loaders' | 'services'>): AttachmentLoaders {
  let loaders = perRequest.get(ctx.loaders);
  if (!loaders) {
    const manager = ctx.services.database.manager;
    loaders = {
      byTicketId: new DataLoader(async (ids) => {
        const list = inList(ids);
        const rows = await readRows<AttachmentRow & { internal: boolean | number }>(
          manager,
          `SELECT ${linkedColumns} FROM "attachment" a JOIN "job" j ON j."id" = a."jobId"
            WHERE a."ticketId" ${list.sql} ORDER BY a."id"`,
          list.parameters,
        );
        const linked = rows.map((row) => ({
          attachment: attachmentFromRow(row),
          internal: Boolean(row.internal),
        }));
        return groupBy(ids, linked, (item) => item.attachment.ticketId!);
      }),
      byJobId: new DataLoader(async (ids) => {
        const list = inList(ids);
        const rows = await readRows<AttachmentRow>(
          manager,
          `SELECT ${attachmentColumns} FROM "attachment" WHERE "jobId" ${list.sql} ORDER BY "id"`,
          list.parameters,
        );
        return groupBy(ids, rows.map(attachmentFromRow), (attachment) => attachment.jobId!);
      }),
    };
    perRequest.set(ctx.loaders, loaders);
  }
  return loaders;
}

/** Ticket.attachments: the files of a ticket the viewer already sees, without those of internal notes for a USER. */
export async function ticketAttachments(
  ctx: Pick<Context, 'loaders' | 'services' | 'user'>,
  ticket: Ticket,
): Promise<Attachment[]> {
  const viewer = ctx.user;
  if (!viewer) return [];
  const linked = await attachmentLoadersOf(ctx).byTicketId.load(ticket.id);
  return linked
    .filter((item) => canSeeAttachment(viewer, item.attachment, ticket, { internal: item.internal }))
    .map((item) => item.attachment);
}

/** Job.attachments: a job reaches only those who may see it; the check is repeated for internal notes. */
export async function jobAttachments(
  ctx: Pick<Context, 'loaders' | 'services' | 'user'>,
  job: Job,
): Promise<Attachment[]> {
  const viewer = ctx.user;
  if (!viewer || (job.internal && !canSeeInternalNotes(viewer))) return [];
  return attachmentLoadersOf(ctx).byJobId.load(job.id);
}
