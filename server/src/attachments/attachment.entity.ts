import { Field, ID, Int, ObjectType } from 'type-graphql';
import { User } from '../users/user.entity';

/** Types the client may show inline; the only ones served with their own type and `inline`. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
]);

/**
 * A file on a ticket (table "attachment", written and read with plain SQL: the bytes are read only by
 * GET /api/attachments/{id}, never with the rest). Unlinked (jobId null) until the createTicket or
 * updateTicket that uploaded it records its job; until then only its uploader may read it.
 */
@ObjectType()
export class Attachment {
  @Field(() => ID)
  id: number;

  /** Null for an upload made before its ticket existed (POST /api/tickets/new/attachments). */
  ticketId: number | null;

  jobId: number | null;

  authorId: number;

  @Field(() => String)
  filename: string;

  @Field(() => String)
  contentType: string;

  @Field(() => Int, { description: 'Bytes.' })
  size: number;

  @Field(() => String, { description: 'Relative URL of the file (GET, authenticated).' })
  get url(): string {
    return `/api/attachments/${this.id}`;
  }

  @Field(() => Boolean, { description: 'PNG, JPEG, GIF or WebP: the client may show it inline.' })
  get isImage(): boolean {
    return IMAGE_TYPES.has(this.contentType);
  }

  /** Resolved by AttachmentResolver (the request's user loader). */
  @Field(() => User)
  author?: User;

  @Field(() => Date)
  createdAt: Date;
}

export interface AttachmentRow {
  id: number | string;
  ticketId: number | string | null;
  jobId: number | string | null;
  authorId: number | string;
  filename: string;
  contentType: string;
  size: number | string;
  createdAt: number | string;
}

/** Every column but the bytes. */
export const attachmentColumns =
  '"id", "ticketId", "jobId", "authorId", "filename", "contentType", "size", "createdAt"';

const orNull = (value: number | string | null) => (value === null ? null : Number(value));

/** A row as either database returns it (PostgreSQL's bigint as text) → an Attachment. */
export function attachmentFromRow(row: AttachmentRow): Attachment {
  return Object.assign(new Attachment(), {
    id: Number(row.id),
    ticketId: orNull(row.ticketId),
    jobId: orNull(row.jobId),
    authorId: Number(row.authorId),
    filename: row.filename,
    contentType: row.contentType,
    size: Number(row.size),
    createdAt: new Date(Number(row.createdAt)),
  });
}
