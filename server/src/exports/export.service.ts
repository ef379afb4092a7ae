import { canExport, canSeeProject } from '../access/access-policy';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { parseId } from '../ids';
import { Project } from '../projects/project.entity';
import type { User } from '../users/user.entity';
import { type CsvCell, JOB_COLUMNS, TICKET_COLUMNS, changesText, csvText } from './export-csv';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportDocument } from './export-format';
import { ExportReader, type ExportScope } from './export-reader';

export type ExportFormat = 'json' | 'csv';
/** The CSV export is two files: the tickets, or their jobs. */
export type CsvPart = 'tickets' | 'jobs';

/** The request as it comes (query string or command line), checked by ExportService.plan. */
export interface ExportRequest {
  project?: unknown;
  format?: unknown;
  part?: unknown;
}

/** A checked request: what to write, under which name and type. */
export interface ExportPlan {
  scope: ExportScope;
  format: ExportFormat;
  part: CsvPart | null;
  exportedAt: Date;
  filename: string;
  contentType: string;
}

const PARAMETERS = ['project', 'format', 'part'];

/**
 * The export: JSON (format v1, lossless) or CSV (tickets, or jobs), of one project or of everything.
 * plan() refuses a bad request before anything is written; chunks() then yields the file piece by piece.
 */
export class ExportService {
  private readonly reader: ExportReader;

  constructor(
    database: Database,
    private readonly clock: Clock,
  ) {
    this.reader = new ExportReader(database);
  }

  /** Checks who asks and what: FORBIDDEN, BAD_USER_INPUT or NOT_FOUND, before any byte of the file. */
  async plan(actor: User, request: ExportRequest): Promise<ExportPlan> {
    if (!canExport(actor)) throw new ForbiddenError('Only an ADMIN may export the data.');
    const unknown = Object.keys(request).filter((key) => !PARAMETERS.includes(key));
    if (unknown.length > 0) {
      throw BadInputError.field(
        unknown[0],
        'invalid',
        `Unknown parameter ${unknown[0]}: an export takes project, format and part.`,
      );
    }
    const format = oneOf('format', request.format, ['json', 'csv'] as const) ?? 'json';
    const part = oneOf('part', request.part, ['tickets', 'jobs'] as const);
    if (part !== undefined && format !== 'csv') {
      throw BadInputError.field('part', 'invalid', 'part applies to the CSV export only (format=csv).');
    }
    const project = await this.projectOf(actor, request.project);
    const exportedAt = this.clock.now();
    const csvPart = format === 'csv' ? (part ?? 'tickets') : null;
    const name = [
      'simple-ticketing',
      project ? `project-${project.id}` : 'all',
      ...(csvPart ? [csvPart] : []),
      exportedAt.toISOString().slice(0, 10),
    ].join('-');
    return {
      scope: { actor, projectId: project?.id ?? null },
      format,
      part: csvPart,
      exportedAt,
      filename: `${name}.${format}`,
      contentType: format === 'json' ? 'application/json; charset=utf-8' : 'text/csv; charset=utf-8',
    };
  }

  /** The file, in pieces of a batch each; reading stops when the consumer stops asking. */
  chunks(plan: ExportPlan): AsyncGenerator<string> {
    if (plan.format === 'json') return this.json(plan);
    return plan.part === 'jobs' ? this.jobsCsv(plan) : this.ticketsCsv(plan);
  }

  private async projectOf(actor: User, raw: unknown): Promise<Project | null> {
    if (raw === undefined) return null;
    if (typeof raw !== 'string') {
      throw BadInputError.field('project', 'format', 'Give project once, as a project id like "42".');
    }
    const id = parseId('project', raw);
    const project = await this.reader.project(id);
    if (!project || !canSeeProject(actor, project)) throw new NotFoundError('Project', id);
    return project;
  }

  private async *json(plan: ExportPlan): AsyncGenerator<string> {
    const header: Omit<ExportDocument, 'users' | 'projects' | 'tickets'> = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: plan.exportedAt.toISOString(),
      scope: { projectId: plan.scope.projectId === null ? null : String(plan.scope.projectId) },
    };
    // The header's own JSON without its closing brace; one item a line keeps the file readable and diffable.
    yield `${JSON.stringify(header).slice(0, -1)},\n"users":[`;
    yield* jsonItems(this.reader.users(plan.scope));
    yield '],\n"projects":[';
    yield* jsonItems(single(this.reader.projects(plan.scope)));
    yield '],\n"tickets":[';
    yield* jsonItems(this.reader.ticketsWithJobs(plan.scope));
    yield ']}\n';
  }

  private async *ticketsCsv(plan: ExportPlan): AsyncGenerator<string> {
    yield csvText([TICKET_COLUMNS], true);
    for await (const tickets of this.reader.ticketRows(plan.scope)) {
      const jobCounts = await this.reader.jobCountsOf(plan.scope, tickets);
      yield* csvPieces(
        tickets.map((ticket) => [
          ticket.id,
          ticket.projectName,
          ticket.title,
          ticket.description,
          ticket.status,
          ticket.priority,
          ticket.category,
          ticket.authorUsername,
          ticket.authorEmail,
          ticket.assigneeUsername,
          ticket.createdAt,
          ticket.updatedAt,
          ticket.closedAt,
          jobCounts.get(ticket.id) ?? 0,
        ]),
      );
    }
  }

  private async *jobsCsv(plan: ExportPlan): AsyncGenerator<string> {
    yield csvText([JOB_COLUMNS], true);
    for await (const jobs of this.reader.jobRows(plan.scope)) {
      if (jobs.length === 0) continue;
      yield* csvPieces(
        jobs.map((job) => [
          job.ticketId,
          job.id,
          job.authorUsername,
          job.createdAt,
          job.status,
          job.internal ? 'true' : 'false',
          job.comment,
          changesText(job.changes),
        ]),
      );
    }
  }
}

/** A query parameter that must be one of a few words; absent is undefined. */
function oneOf<T extends string>(field: string, raw: unknown, allowed: readonly T[]): T | undefined {
  if (raw === undefined) return undefined;
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw BadInputError.field(field, 'invalid', `${field} must be ${allowed.join(' or ')}.`);
}

/**
 * Pieces of at most about 32,000 characters (64 kB): V8 puts larger strings straight into its old
 * generation, where a whole export's worth of them would wait for a full collection.
 */
const CHUNK_CHARS = 32_000;
/** CSV records per piece: a few hundred bytes each, so a piece stays under CHUNK_CHARS. */
const CSV_RECORDS_PER_CHUNK = 50;

/** Items of a JSON list, one a line, comma-separated, in pieces of about CHUNK_CHARS. */
async function* jsonItems(batches: AsyncIterable<readonly object[]>): AsyncGenerator<string> {
  let first = true;
  let piece = '';
  for await (const batch of batches) {
    for (const item of batch) {
      piece += (first ? '\n' : ',\n') + JSON.stringify(item);
      first = false;
      if (piece.length >= CHUNK_CHARS) {
        yield piece;
        piece = '';
      }
    }
  }
  if (!first) yield `${piece}\n`;
}

/** Records as CSV, CSV_RECORDS_PER_CHUNK a piece. */
function* csvPieces(records: readonly (readonly CsvCell[])[]): Generator<string> {
  for (let start = 0; start < records.length; start += CSV_RECORDS_PER_CHUNK) {
    yield csvText(records.slice(start, start + CSV_RECORDS_PER_CHUNK));
  }
}

async function* single<T>(items: Promise<T[]>): AsyncGenerator<T[]> {
  yield await items;
}
