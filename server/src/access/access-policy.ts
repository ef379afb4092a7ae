import type { WhereExpressionBuilder } from 'typeorm';
import type { Project } from '../projects/project.entity';
import type { Job } from '../tickets/job.entity';
import type { Ticket } from '../tickets/ticket.entity';
import { Role, isStaff } from '../users/role';
import type { User } from '../users/user.entity';

/*
 * Who sees what: the one place every reader (ticket, ticket list, search, stats, loaders, projects,
 * users, the history feed, webhooks, exports, live subscriptions) asks. A reader never re-writes
 * a rule; what the viewer may not see is answered like what does not exist (NOT_FOUND), by the caller.
 *
 * - Tickets: AGENT and ADMIN see every ticket; a USER sees only the tickets they reported.
 * - Jobs: internal notes are for AGENT and ADMIN only, never for the USER author (search included).
 * - Webhooks (an ADMIN's, over every ticket): internal notes only reach those created with includeInternal.
 * - Projects: everyone signed in sees the active ones; AGENT and ADMIN see archived ones too, and only an
 *   ADMIN lists them. A USER meets an archived project only through one of their own tickets: they see
 *   its id, name and archived flag (a reporter must understand where their ticket lives), never its
 *   description (staff matter), which reads as "" since the contract makes it non-null.
 * - Stats: who reports and who holds the work (by author, by assignee, the team table) are staff figures.
 * - When a ticket's reporter last wrote on it (Ticket.lastReporterActivityAt): staff only, a queue figure.
 * - The project report: AGENT and ADMIN read it; it is project documentation, so it holds the public
 *   history only (no internal note, even for the staff who read it).
 * - Exports: ADMIN only; the whole record (internal notes flagged, email addresses), never a secret.
 * - Saved views (named filters of the ticket list): their owner's alone, whatever the role; another
 *   person's view is answered like one that does not exist.
 * - Users: email and notification settings are seen by the user themself and by ADMINs only; whether an
 *   account is deactivated, by ADMINs only (they manage accounts).
 */

/** A single ticket: staff see all, a USER their own. */
export function canSeeTicket(viewer: User, ticket: Pick<Ticket, 'authorId'>): boolean {
  return isStaff(viewer.role) || ticket.authorId === viewer.id;
}

/** The SQL form of canSeeTicket, added to a query over tickets aliased `ticketAlias`. */
export function whereTicketVisible<Q extends WhereExpressionBuilder>(
  query: Q,
  viewer: User,
  ticketAlias = 't',
): Q {
  if (!isStaff(viewer.role)) query.andWhere(`${ticketAlias}.authorId = :viewerId`, { viewerId: viewer.id });
  return query;
}

/** Internal notes, in a ticket's history and in full-text search. */
export function canSeeInternalNotes(viewer: User): boolean {
  return isStaff(viewer.role);
}

/**
 * One job as it happens (live subscriptions), asked again for every event at the moment it is sent with
 * the viewer as they are now: the ticket must be visible, and an internal note only for those who may
 * see them.
 */
export function canSeeJob(
  viewer: User,
  ticket: Pick<Ticket, 'authorId'>,
  job: Pick<Job, 'internal'>,
): boolean {
  return canSeeTicket(viewer, ticket) && (!job.internal || canSeeInternalNotes(viewer));
}

/** The jobs of a ticket the viewer may see, without the internal notes a USER may not. */
export function visibleJobs(viewer: User, jobs: Job[]): Job[] {
  return canSeeInternalNotes(viewer) ? jobs : jobs.filter((job) => !job.internal);
}

/**
 * The SQL form of visibleJobs, added to a query over jobs aliased `jobAlias` that joins their ticket as
 * `ticketAlias`: the ticket must be visible, and internal notes only for those who may see them.
 */
export function whereJobVisible<Q extends WhereExpressionBuilder>(
  query: Q,
  viewer: User,
  jobAlias = 'j',
  ticketAlias = 't',
): Q {
  whereTicketVisible(query, viewer, ticketAlias);
  if (!canSeeInternalNotes(viewer))
    query.andWhere(`${jobAlias}.internal = :publicOnly`, { publicOnly: false });
  return query;
}

/** Whether a webhook receives this job: every ticket, internal notes only if it asked for them. */
export function webhookReceivesJob(
  webhook: { includeInternal: boolean },
  job: Pick<Job, 'internal'>,
): boolean {
  return webhook.includeInternal || !job.internal;
}

/** The SQL form of webhookReceivesJob, added to a query over jobs aliased `jobAlias`. */
export function whereJobReachesWebhook<Q extends WhereExpressionBuilder>(
  query: Q,
  webhook: { includeInternal: boolean },
  jobAlias = 'j',
): Q {
  if (!webhook.includeInternal) query.andWhere(`${jobAlias}.internal = :publicOnly`, { publicOnly: false });
  return query;
}

/** A project asked for directly (project(id), the project of a new or moved ticket). */
export function canSeeProject(viewer: User | null, project: Pick<Project, 'archived'>): boolean {
  return !project.archived || (viewer !== null && isStaff(viewer.role));
}

/** projects(includeArchived: true). */
export function canListArchivedProjects(viewer: User): boolean {
  return viewer.role === Role.ADMIN;
}

/** Project.description however the project was reached: "" for an archived one a USER met through a ticket. */
export function visibleProjectDescription(
  viewer: User | null,
  project: Pick<Project, 'archived' | 'description'>,
): string {
  return canSeeProject(viewer, project) ? project.description : '';
}

/** GET /api/projects/:id/report: the staff's printable documentation of a project. */
export function canReadProjectReport(viewer: User): boolean {
  return isStaff(viewer.role);
}

/** A job in the project report: public ones only, whoever reads it, since the report is shared documentation. */
export function isInProjectReport(job: Pick<Job, 'internal'>): boolean {
  return !job.internal;
}

/** The SQL form of isInProjectReport, added to a query over jobs aliased `jobAlias`. */
export function whereJobInProjectReport<Q extends WhereExpressionBuilder>(query: Q, jobAlias = 'j'): Q {
  return query.andWhere(`${jobAlias}.internal = :publicOnly`, { publicOnly: false });
}

/** GET /api/export and `npm run export`: the whole record, internal notes and email addresses included. */
export function canExport(viewer: User): boolean {
  return viewer.role === Role.ADMIN;
}

/** Stats by author and by assignee, and the team table (Stats.team). */
export function canSeeWhoFigures(viewer: User): boolean {
  return isStaff(viewer.role);
}

/** Ticket.lastReporterActivityAt: staff work their queues by it; a USER gets null. */
export function canSeeReporterActivity(viewer: User | null): boolean {
  return viewer !== null && isStaff(viewer.role);
}

/** User.email and User.notifyByEmail; anyone else gets null. */
export function canSeePrivateUserFields(viewer: User | null, user: Pick<User, 'id'>): boolean {
  return viewer !== null && (viewer.id === user.id || viewer.role === Role.ADMIN);
}

/** A saved view is read, changed and deleted by its owner only (an ADMIN included: it is a preference). */
export function canUseSavedView(viewer: User, view: { userId: number }): boolean {
  return view.userId === viewer.id;
}

/** User.deactivated; anyone else gets null. */
export function canSeeDeactivated(viewer: User | null): boolean {
  return viewer?.role === Role.ADMIN;
}

/**
 * A file on a ticket: an upload not yet linked to a job is its uploader's alone; a linked one follows
 * its ticket (canSeeTicket) and its job (an internal note's files are staff only, like the note).
 */
export function canSeeAttachment(
  viewer: User,
  attachment: { authorId: number; jobId: number | null },
  ticket: Pick<Ticket, 'authorId'> | null,
  job: Pick<Job, 'internal'> | null,
): boolean {
  if (attachment.jobId === null || !ticket || !job) return attachment.authorId === viewer.id;
  return canSeeTicket(viewer, ticket) && (!job.internal || canSeeInternalNotes(viewer));
}
