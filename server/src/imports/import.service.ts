import type { EntityManager } from 'typeorm';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import type { ExportDocument, ExportedJob } from '../exports/export-format';
import { parseId } from '../ids';
import { Project } from '../projects/project.entity';
import { isDone } from '../tickets/ticket.enums';
import { Locale, Role, isStaff } from '../users/role';
import type { User } from '../users/user.entity';
import { normalizeKey } from '../users/user-key';
import { checkExportDocument, parseJsonFile } from './export-document-check';
import { ImportRefusedError, ProblemList } from './import-refusal';
import { ImportedUsers, usernameFromEmail } from './imported-users';
import { type CsvTicketRow, type RefusedRow, parseTicketCsv } from './ticket-csv';
import { TicketWriter } from './ticket-writer';
import { rawQuery } from '../database/sql';

/** Past this many tickets the answer gives their count, not each old → new id. */
export const TICKET_ID_MAP_LIMIT = 10_000;

/** What a JSON import did: counts per kind and the ids of the file → the ids here. */
/** An account an import creates (or would, on a dry run): the importer sees every role it hands out. */
export interface CreatedAccount {
  email: string;
  /** The name it gets here: the file's, with -2, -3… when that one is taken. */
  username: string;
  role: Role;
}

export interface JsonImportResult {
  format: 'json';
  dryRun: boolean;
  /** createdAccounts: every account created, or to create, in the file's order. */
  users: { created: number; matched: number; createdAccounts: CreatedAccount[] };
  projects: { created: number };
  /** unassigned: tickets whose assignee is not an AGENT or ADMIN here, imported without one. */
  tickets: { created: number; unassigned: number };
  jobs: { created: number };
  ids: {
    users: Record<string, string>;
    projects: Record<string, string>;
    /** Null past TICKET_ID_MAP_LIMIT tickets (new ids follow the file's order) and for a dry run. */
    tickets: Record<string, string> | null;
  };
  message: string;
}

/** What a CSV import did, or would do (dryRun): nothing refused is written. */
export interface CsvImportResult {
  format: 'csv';
  dryRun: boolean;
  project: { id: string; name: string };
  /** Tickets created, or that would be with dryRun. */
  tickets: number;
  /** Every row left out, with its line in the file and why. */
  refusedRows: RefusedRow[];
  columns: string[];
  unknownColumns: string[];
  /** Authors found by email, and accounts created (or to create) for the other emails. */
  users: { matched: number; created: number; createdEmails: string[] };
  message: string;
}

export interface CsvImportRequest {
  project: string | undefined;
  dryRun: boolean;
}

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The rules of imports: who may import, what a file must hold, and how it lands, all or nothing. */
export class ImportService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /** Only an admin imports: a file creates accounts, roles included. */
  private assertAdmin(actor: User): void {
    if (actor.role !== Role.ADMIN) throw new ForbiddenError('Only an admin can import data.');
  }

  /**
   * The JSON export (format v1) back in: checked as a whole, then written in one transaction. A dry run
   * does all of it and rolls back, so its counts are exactly those of the real import.
   */
  async importJson(actor: User, file: Buffer, options: { dryRun: boolean }): Promise<JsonImportResult> {
    this.assertAdmin(actor);
    const document = checkExportDocument(parseJsonFile(decodeUtf8(file)), this.clock.now());
    try {
      return await this.database.transaction(async (manager) => {
        const result = await this.writeDocument(manager, document, options.dryRun);
        if (options.dryRun) throw new DryRunDone(result);
        return result;
      });
    } catch (error) {
      if (error instanceof DryRunDone) return error.result;
      throw error;
    }
  }

  private async writeDocument(
    manager: EntityManager,
    document: ExportDocument,
    dryRun: boolean,
  ): Promise<JsonImportResult> {
    await this.assertNewProjects(manager, document);
    const users = await ImportedUsers.find(
      manager,
      document.users.map((user) => normalizeKey(user.email)),
    );
    const userIds = new Map<string, number>();
    // The file's user ids that are staff here: only they may hold tickets, as the API's notAssignable says.
    const staffIds = new Set<string>();
    const createdAccounts: CreatedAccount[] = [];
    for (const user of document.users) {
      const existing = users.idOf(normalizeKey(user.email));
      if (isStaff(users.roleOf(normalizeKey(user.email)) ?? user.role)) staffIds.add(user.id);
      if (existing !== undefined) {
        userIds.set(user.id, existing);
        continue;
      }
      const account = await users.create({
        email: user.email,
        username: user.username,
        role: user.role,
        locale: user.locale,
        createdAt: new Date(user.createdAt),
      });
      userIds.set(user.id, account.id);
      createdAccounts.push({ email: user.email.trim(), username: account.username, role: user.role });
    }
    const created = createdAccounts.length;
    const projectIds = new Map<string, number>();
    for (const project of document.projects) {
      const [row] = (await rawQuery(
        manager,
        `INSERT INTO "project" ("name", "nameKey", "description", "archived", "createdAt")
         VALUES (?, ?, ?, ?, ?) RETURNING "id"`,
        [
          project.name,
          normalizeKey(project.name),
          project.description,
          project.archived ? 1 : 0,
          Date.parse(project.createdAt),
        ],
      )) as { id: number }[];
      projectIds.set(project.id, Number(row.id));
    }
    const writer = new TicketWriter(manager);
    // No prototype: a ticket whose id in the file is "__proto__" is a key like any other.
    const ticketIds: Record<string, string> | null =
      document.tickets.length <= TICKET_ID_MAP_LIMIT ? Object.create(null) : null;
    let jobs = 0;
    let unassigned = 0;
    const userId = (id: string) => userIds.get(id) as number;
    for (const ticket of document.tickets) {
      if (ticket.assigneeId !== null && !staffIds.has(ticket.assigneeId)) unassigned += 1;
      const id = await writer.write(
        {
          projectId: projectIds.get(ticket.projectId) as number,
          title: ticket.title,
          description: ticket.description,
          status: ticket.status,
          priority: ticket.priority,
          category: ticket.category,
          authorId: userId(ticket.authorId),
          assigneeId:
            ticket.assigneeId === null || !staffIds.has(ticket.assigneeId) ? null : userId(ticket.assigneeId),
          createdAt: new Date(ticket.createdAt),
          updatedAt: new Date(ticket.updatedAt),
          closedAt: ticket.closedAt === null ? null : new Date(ticket.closedAt),
        },
        ticket.jobs.map((job) => ({
          authorId: userId(job.authorId),
          authorRole: exportedRoleOf(job),
          createdAt: new Date(job.createdAt),
          comment: job.comment,
          internal: job.internal,
          status: job.status,
          changes: job.changes,
        })),
      );
      jobs += ticket.jobs.length;
      if (ticketIds) ticketIds[ticket.id] = String(id);
    }
    const matched = document.users.length - created;
    return {
      format: 'json' as const,
      dryRun,
      users: { created, matched, createdAccounts },
      projects: { created: projectIds.size },
      tickets: { created: document.tickets.length, unassigned },
      jobs: { created: jobs },
      ids: dryRun
        ? { users: {}, projects: {}, tickets: null }
        : {
            users: Object.fromEntries([...userIds].map(([from, to]) => [from, String(to)])),
            projects: Object.fromEntries([...projectIds].map(([from, to]) => [from, String(to)])),
            tickets: ticketIds,
          },
      message:
        `${dryRun ? 'Would import' : 'Imported'} ${plural(projectIds.size, 'project')}, ${plural(document.tickets.length, 'ticket')} and ` +
        `${plural(jobs, 'job')}; ${plural(matched, 'user')} matched by email, ${plural(created, 'user')} ${dryRun ? 'to create' : 'created'}${staffOf(createdAccounts)} (they set a password through "Forgot password")` +
        (unassigned > 0
          ? `; ${plural(unassigned, 'ticket')} ${dryRun ? 'would be' : 'were'} left unassigned: their assignee is not an agent or an admin here.`
          : '.'),
    };
  }

  /**
   * A project of the same name (any case) refuses the file: importing the same export twice must not
   * duplicate everything, and merging tickets into a project already in use would mix two histories.
   */
  private async assertNewProjects(manager: EntityManager, document: ExportDocument): Promise<void> {
    const problems = new ProblemList();
    for (const [index, project] of document.projects.entries()) {
      if (await manager.existsBy(Project, { nameKey: normalizeKey(project.name) })) {
        problems.add(
          `projects[${index}].name`,
          'unique',
          `projects[${index}].name: a project named "${project.name}" already exists here (was this file imported already?). Rename that project to import this one beside it.`,
        );
      }
    }
    problems.throwIfAny();
  }

  /** Tickets from a CSV file into one project; dryRun answers the same report and writes nothing. */
  async importCsv(actor: User, request: CsvImportRequest, file: Buffer): Promise<CsvImportResult> {
    this.assertAdmin(actor);
    if (!request.project) {
      throw BadInputError.field(
        'project',
        'required',
        'project is required: the id of the project the tickets go into (?format=csv&project=ID).',
      );
    }
    const projectId = parseId('project', request.project);
    const now = this.clock.now();
    const parsed = parseTicketCsv(file, now);
    const run = async (manager: EntityManager) => {
      const project = await manager.findOneBy(Project, { id: projectId });
      if (!project) throw new NotFoundError('Project', projectId);
      if (project.archived) {
        throw BadInputError.field(
          'project',
          'archived',
          `project "${project.name}" is archived: unarchive it to import tickets into it.`,
        );
      }
      const users = await ImportedUsers.find(
        manager,
        parsed.rows.flatMap((row) => (row.authorEmail ? [row.authorEmail] : [])),
      );
      const createdEmails = new Set<string>();
      const matchedEmails = new Set<string>();
      const authorOf = async ({ authorEmail: email, authorAddress }: CsvTicketRow): Promise<number> => {
        if (email === null) return actor.id;
        const known = users.idOf(email);
        if (known !== undefined) {
          if (!createdEmails.has(email)) matchedEmails.add(email);
          return known;
        }
        createdEmails.add(email);
        if (request.dryRun) return users.reserve(email);
        const account = await users.create({
          email: authorAddress ?? email,
          username: usernameFromEmail(email),
          role: Role.USER,
          locale: Locale.EN,
          createdAt: now,
        });
        return account.id;
      };
      const writer = request.dryRun ? null : new TicketWriter(manager);
      for (const row of parsed.rows) {
        const authorId = await authorOf(row);
        if (!writer) continue;
        const createdAt = row.createdAt ?? now;
        await writer.write(
          {
            projectId,
            title: row.title,
            description: row.description,
            status: row.status,
            priority: row.priority,
            category: row.category,
            authorId,
            assigneeId: null,
            createdAt,
            updatedAt: createdAt,
            // The file says it is done, not when: the ticket closes when it was created.
            closedAt: isDone(row.status) ? createdAt : null,
          },
          [
            {
              authorId,
              // The CSV names no role: the author's, as it is here.
              authorRole: null,
              createdAt,
              comment: null,
              internal: false,
              status: row.status,
              changes: [{ field: 'status', from: null, to: row.status }],
            },
          ],
        );
      }
      const tickets = parsed.rows.length;
      const verb = request.dryRun ? 'would be created' : 'created';
      return {
        format: 'csv' as const,
        dryRun: request.dryRun,
        project: { id: String(project.id), name: project.name },
        tickets,
        refusedRows: parsed.refused,
        columns: parsed.columns,
        unknownColumns: parsed.unknownColumns,
        users: {
          matched: matchedEmails.size,
          created: createdEmails.size,
          createdEmails: [...createdEmails],
        },
        message:
          `${plural(tickets, 'ticket')} ${verb} in "${project.name}", ${plural(parsed.refused.length, 'row')} refused` +
          (createdEmails.size > 0
            ? `, ${plural(createdEmails.size, 'account')} ${verb} for unknown author emails.`
            : '.') +
          (parsed.unknownColumns.length > 0
            ? ` Columns not read: ${parsed.unknownColumns.map((name) => `"${name}"`).join(', ')}.`
            : ''),
      };
    };
    return request.dryRun ? this.database.readCommitted(run) : this.database.transaction(run);
  }
}

/**
 * The role a job of the file says its author had, when it is one; null (the author's role here) for a file
 * written before jobs carried it, or a value that is not a role.
 */
function exportedRoleOf(job: ExportedJob): Role | null {
  const role: unknown = job.authorRole;
  return Object.values(Role).includes(role as Role) ? (role as Role) : null;
}

/** ", 1 ADMIN and 2 AGENT among them": the roles above USER an import hands out, said in its message. */
function staffOf(accounts: CreatedAccount[]): string {
  const parts = [Role.ADMIN, Role.AGENT].flatMap((role) => {
    const count = accounts.filter((account) => account.role === role).length;
    return count > 0 ? [`${count} ${role}`] : [];
  });
  return parts.length === 0 ? '' : `, ${parts.join(' and ')} among them`;
}

/** Carries a dry run's answer out of its transaction, which rolls back on the way. */
class DryRunDone extends Error {
  constructor(readonly result: JsonImportResult) {
    super('dry run');
  }
}

/** The file as UTF-8 text, without a byte order mark; any other encoding is refused, not guessed. */
function decodeUtf8(file: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(file).replace(/^\uFEFF/, '');
  } catch {
    throw ImportRefusedError.one(
      'document',
      'format',
      'The file is not UTF-8 text: an export is always UTF-8.',
    );
  }
}
