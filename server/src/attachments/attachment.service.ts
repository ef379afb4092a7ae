import type { EntityManager } from 'typeorm';
import { canSeeAttachment, canSeeTicket } from '../access/access-policy';
import { type Clock, DAY_MS } from '../clock';
import type { Database } from '../database/data-source';
import { rawQuery } from '../database/sql';
import { BadInputError, NotFoundError, RateLimitedError } from '../errors';
import { inList, readRows } from '../loaders';
import type { User } from '../users/user.entity';
import {
  type AttachmentRow,
  type Attachment,
  attachmentColumns,
  attachmentFromRow,
} from './attachment.entity';
import { contentTypeOf } from './attachment-content';

/** The most files one job (one createTicket or updateTicket) may carry. */
export const ATTACHMENT_MAX_PER_JOB = 10;
/** An upload no mutation has linked within a day is abandoned (a closed tab, a cancelled form): deleted. */
export const UNLINKED_TTL_MS = DAY_MS;
/** The most uploads one user may hold unlinked (three jobs' worth): without it, one account fills the disk in a day. */
export const UNLINKED_MAX_PER_USER = 3 * ATTACHMENT_MAX_PER_JOB;

export interface StoredFile {
  attachment: Attachment;
  content: Buffer;
}

interface VisibilityRow extends AttachmentRow {
  ticketAuthorId: number | string | null;
  internal: boolean | number | null;
}

/**
 * Files on tickets, with the ticket's rights (access/access-policy.ts, canSeeAttachment). A file is
 * uploaded first, unlinked, then linked by the mutation that records its job (claim, then link, in that
 * mutation's transaction).
 */
export class AttachmentService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /**
   * Before reading an upload: the ticket must be one the uploader may see (null: a ticket not yet
   * created), and the uploader must hold fewer than UNLINKED_MAX_PER_USER unlinked uploads.
   */
  async assertCanUploadTo(actor: User, ticketId: number | null): Promise<void> {
    await this.assertUnderUnlinkedCap(this.database.manager, actor);
    if (ticketId === null) return;
    const [ticket] = await readRows<{ authorId: number | string }>(
      this.database.manager,
      'SELECT "authorId" FROM "ticket" WHERE "id" = ?',
      [ticketId],
    );
    if (!ticket || !canSeeTicket(actor, { authorId: Number(ticket.authorId) })) {
      throw new NotFoundError('Ticket', ticketId);
    }
  }

  /** Stores an upload, unlinked; abandoned uploads of anyone (older than a day) go in the same transaction. */
  async upload(
    actor: User,
    ticketId: number | null,
    file: { filename: string; content: Buffer },
  ): Promise<Attachment> {
    await this.assertCanUploadTo(actor, ticketId);
    const now = this.clock.now();
    const [row] = await this.database.transaction(async (manager) => {
      await rawQuery(manager, 'DELETE FROM "attachment" WHERE "jobId" IS NULL AND "createdAt" < ?', [
        now.getTime() - UNLINKED_TTL_MS,
      ]);
      await this.assertUnderUnlinkedCap(manager, actor);
      return rawQuery<AttachmentRow[]>(
        manager,
        `INSERT INTO "attachment" ("ticketId", "jobId", "authorId", "filename", "contentType", "size", "content", "createdAt")
         VALUES (?, NULL, ?, ?, ?, ?, ?, ?) RETURNING ${attachmentColumns}`,
        [
          ticketId,
          actor.id,
          file.filename,
          contentTypeOf(file.content),
          file.content.length,
          file.content,
          now.getTime(),
        ],
      );
    });
    return attachmentFromRow(row);
  }

  /** RATE_LIMITED, until the oldest of them is a day old, once the actor holds the most unlinked uploads. */
  private async assertUnderUnlinkedCap(manager: EntityManager, actor: User): Promise<void> {
    const since = this.clock.now().getTime() - UNLINKED_TTL_MS;
    const [pending] = await readRows<{ n: number | string; oldest: number | string | null }>(
      manager,
      `SELECT COUNT(*) AS "n", MIN("createdAt") AS "oldest" FROM "attachment"
        WHERE "authorId" = ? AND "jobId" IS NULL AND "createdAt" >= ?`,
      [actor.id, since],
    );
    if (Number(pending.n) < UNLINKED_MAX_PER_USER) return;
    throw new RateLimitedError(
      `You hold ${UNLINKED_MAX_PER_USER} files not yet added to a ticket: send or cancel them first (unsent files are dropped after a day).`,
      (Number(pending.oldest) - since) / 1000,
    );
  }

  /** A file and its bytes; one the viewer may not see is answered like one that does not exist. */
  async read(viewer: User, id: number): Promise<StoredFile> {
    const [row] = await readRows<VisibilityRow & { content: Buffer | Uint8Array }>(
      this.database.manager,
      `SELECT ${attachmentColumns.replace(/"(\w+)"/g, 'a."$1"')}, a."content",
              t."authorId" AS "ticketAuthorId", j."internal" AS "internal"
         FROM "attachment" a
         LEFT JOIN "ticket" t ON t."id" = a."ticketId"
         LEFT JOIN "job" j ON j."id" = a."jobId"
        WHERE a."id" = ?`,
      [id],
    );
    if (!row || !this.visible(viewer, row)) throw new NotFoundError('Attachment', id);
    return { attachment: attachmentFromRow(row), content: Buffer.from(row.content) };
  }

  private visible(viewer: User, row: VisibilityRow): boolean {
    const attachment = attachmentFromRow(row);
    return canSeeAttachment(
      viewer,
      attachment,
      row.ticketAuthorId === null ? null : { authorId: Number(row.ticketAuthorId) },
      row.internal === null ? null : { internal: Boolean(row.internal) },
    );
  }
}

function refusedIds(message: string, rule: 'invalid' | 'limitReached' = 'invalid'): BadInputError {
  return BadInputError.field('attachmentIds', rule, message);
}

/**
 * The attachmentIds of a createTicket (ticketId null) or updateTicket, checked in its transaction before
 * its job is recorded: each must be the actor's own upload to that ticket, not yet linked.
 */
export async function claimAttachments(
  manager: EntityManager,
  actor: User,
  ticketId: number | null,
  ids: readonly string[] | null | undefined,
): Promise<number[]> {
  if (!ids || ids.length === 0) return [];
  const wanted = [...new Set(ids)];
  if (wanted.length > ATTACHMENT_MAX_PER_JOB) {
    throw refusedIds(
      `attachmentIds: at most ${ATTACHMENT_MAX_PER_JOB} files may be added at once (got ${wanted.length}).`,
      'limitReached',
    );
  }
  const numbers = wanted.map((id) => (/^[1-9]\d{0,9}$/.test(id) ? Number(id) : NaN));
  const list = inList(numbers.filter((id) => Number.isSafeInteger(id)));
  const rows =
    list.parameters.length === 0
      ? []
      : await rawQuery<AttachmentRow[]>(
          manager,
          `SELECT ${attachmentColumns} FROM "attachment" WHERE "id" ${list.sql}`,
          list.parameters,
        );
  const byId = new Map(rows.map((row) => [Number(row.id), attachmentFromRow(row)]));
  const unclaimable = wanted.filter((_, index) => {
    const attachment = byId.get(numbers[index]);
    return (
      !attachment ||
      attachment.authorId !== actor.id ||
      attachment.jobId !== null ||
      attachment.ticketId !== ticketId
    );
  });
  if (unclaimable.length > 0) {
    throw refusedIds(
      `attachmentIds: ${unclaimable.join(', ')} ${unclaimable.length === 1 ? 'is not a file' : 'are not files'} you uploaded to this ticket and not yet added.`,
    );
  }
  return numbers;
}

/** Links claimed uploads to the job just recorded (and to its ticket, for uploads made before it existed). */
export async function linkAttachments(
  manager: EntityManager,
  ids: readonly number[],
  job: { id: number; ticketId: number },
): Promise<void> {
  if (ids.length === 0) return;
  const list = inList(ids);
  await rawQuery(
    manager,
    `UPDATE "attachment" SET "jobId" = ?, "ticketId" = ? WHERE "jobId" IS NULL AND "id" ${list.sql}`,
    [job.id, job.ticketId, ...list.parameters],
  );
}

const services = new WeakMap<Database, AttachmentService>();

/** The service of a database (the routes and resolvers share it, as the ticket service's callers do). */
export function attachmentServiceOf(database: Database, clock: Clock): AttachmentService {
  let service = services.get(database);
  if (!service) services.set(database, (service = new AttachmentService(database, clock)));
  return service;
}
