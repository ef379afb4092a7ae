import type { Priority, TicketCategory, TicketStatus } from '../tickets/ticket.enums';
import type { Locale, Role } from '../users/role';

/*
 * The JSON export, version 1: what `GET /api/export?format=json` writes and `POST /api/import` reads
 * back, lossless. Ids are the exporting instance's (strings, like the API's); an import remaps them.
 * Dates are ISO 8601 in UTC. Tickets are written one by one with their jobs nested, so the file
 * streams in bounded memory; `users` and `projects` come first, so a reader can resolve references.
 *
 * {
 *   "format": "simple-ticketing-export", "version": 1, "exportedAt": "…",
 *   "scope": { "projectId": "3" } | { "projectId": null },   // null: everything
 *   "users": [ExportedUser…], "projects": [ExportedProject…], "tickets": [ExportedTicket…]
 * }
 */

export const EXPORT_FORMAT = 'simple-ticketing-export';
export const EXPORT_VERSION = 1;

/** Never the password hash, the session version or anything else secret. */
export interface ExportedUser {
  id: string;
  username: string;
  email: string;
  role: Role;
  locale: Locale;
  createdAt: string;
}

export interface ExportedProject {
  id: string;
  name: string;
  description: string;
  archived: boolean;
  createdAt: string;
}

export interface ExportedChange {
  field: string;
  from: string | null;
  to: string | null;
}

/** A ticket's history: every job, internal notes included, flagged. */
export interface ExportedJob {
  id: string;
  authorId: string;
  /**
   * The author's role when the job was written: always exported. Optional for an import: files exported
   * before it existed lack it, and the job then gets its author's role there (so does a value that is not a role).
   */
  authorRole?: Role;
  createdAt: string;
  comment: string | null;
  internal: boolean;
  /** The ticket's status once this job was done. */
  status: TicketStatus;
  changes: ExportedChange[];
}

export interface ExportedTicket {
  id: string;
  projectId: string;
  title: string;
  description: string;
  status: TicketStatus;
  priority: Priority;
  category: TicketCategory;
  authorId: string;
  assigneeId: string | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  /** Oldest first. */
  jobs: ExportedJob[];
}

export interface ExportDocument {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  scope: { projectId: string | null };
  /** Every user the exported projects' tickets and jobs name (everyone, for a full export). */
  users: ExportedUser[];
  projects: ExportedProject[];
  tickets: ExportedTicket[];
}
