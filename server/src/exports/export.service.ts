import { canExport, canSeeProject } from '../access/access-policy';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { parseId } from '../ids';
import { Project } from '../projects/project.entity';
import type { User } from '../users/user.entity';
import { type CsvCell, JOB_COLUMNS, TICKET_COLUMNS, changesText, csvText } from './export-csv';
import { EXPORT_FORMAT, EXPORT_VERSION, type ExportDocument } from './export-format';
import { type ExportPage, ExportReader, type ExportScope } from './export-reader';

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
  chunks(plan: ExportPlan): AsyncGenerator<Buffer> {
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

  private async *json(plan: ExportPlan): AsyncGenerator<Buffer> {
    const { scope } = plan;
    const header: Omit<ExportDocument, 'users' | 'projects' | 'tickets'> = {
      format: EXPORT_FORMAT,
      version: EXPORT_VERSION,
      exportedAt: plan.exportedAt.toISOString(),
      scope: { projectId: scope.projectId === null ? null : String(scope.projectId) },
    };
    // The header's own JSON without its closing brace; one item a line keeps the file readable and diffable.
    yield Buffer.from(`${JSON.stringify(header).slice(0, -1)},\n"users":[`);
    yield* jsonList((after) => this.reader.usersAfter(scope, after));
    yield Buffer.from('],\n"projects":[');
    yield* jsonList(async (after) =>
      after === 0 ? { items: await this.reader.projects(scope), last: 1 } : null,
    );
    yield Buffer.from('],\n"tickets":[');
    yield* jsonList((after) => this.reader.ticketsWithJobsAfter(scope, after));
    yield Buffer.from(']}\n');
  }

  private async *ticketsCsv(plan: ExportPlan): AsyncGenerator<Buffer> {
    const { scope } = plan;
    yield Buffer.from(csvText([TICKET_COLUMNS], true));
    yield* encodedPages(async (after) => {
      const page = await this.reader.ticketRowsAfter(scope, after);
      if (page === null) return null;
      const jobCounts = await this.reader.jobCountsOf(scope, page.items);
      const records = page.items.map((ticket): CsvCell[] => [
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
      ]);
      return { items: records, last: page.last };
    }, csvPieces);
  }

  private async *jobsCsv(plan: ExportPlan): AsyncGenerator<Buffer> {
    const { scope } = plan;
    yield Buffer.from(csvText([JOB_COLUMNS], true));
    yield* encodedPages(async (after) => {
      const page = await this.reader.jobRowsAfter(scope, after);
      if (page === null) return null;
      const records = page.items.map((job): CsvCell[] => [
        job.ticketId,
        job.id,
        job.authorUsername,
        job.createdAt,
        job.status,
        job.internal ? 'true' : 'false',
        job.comment,
        changesText(job.changes),
      ]);
      return { items: records, last: page.last };
    }, csvPieces);
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

/** Loads the batch after the id `after`; null once there is none. */
type PageLoader<T> = (after: number) => Promise<ExportPage<T> | null>;

/**
 * The batches as bytes, one batch at a time. A batch is loaded and encoded inside one plain async
 * function, so its rows and objects are garbage before this generator yields: while a slow reader
 * keeps the export waiting, only the encoded bytes (outside V8's heap) are held. Kept across the wait,
 * the rows lived through young-generation collections into the old generation, and a 100,000-ticket
 * export's memory grew by up to 150 MB before a full collection (server/test/export-memory.int.spec.ts).
 * `encode` is told how many items came before, for a list's separators.
 */
async function* encodedPages<T>(
  load: PageLoader<T>,
  encode: (items: readonly T[], before: number) => Buffer[],
): AsyncGenerator<Buffer> {
  let count = 0;
  for (let after = 0; ;) {
    const encoded = await encodedPage(load, after, encode, count);
    if (encoded === null) return;
    ({ after, count } = encoded);
    for (const piece of encoded.pieces) yield piece;
  }
}

async function encodedPage<T>(
  load: PageLoader<T>,
  after: number,
  encode: (items: readonly T[], before: number) => Buffer[],
  before: number,
): Promise<{ pieces: Buffer[]; after: number; count: number } | null> {
  const page = await load(after);
  if (page === null) return null;
  return { pieces: encode(page.items, before), after: page.last, count: before + page.items.length };
}

/** Items of a JSON list, one a line, comma-separated, in pieces of about CHUNK_CHARS; a newline ends it. */
async function* jsonList(load: PageLoader<object>): AsyncGenerator<Buffer> {
  let any = false;
  for await (const piece of encodedPages(load, jsonPieces)) {
    any = true;
    yield piece;
  }
  if (any) yield Buffer.from('\n');
}

function jsonPieces(items: readonly object[], before: number): Buffer[] {
  const pieces: Buffer[] = [];
  let piece = '';
  items.forEach((item, index) => {
    piece += (before + index === 0 ? '\n' : ',\n') + JSON.stringify(item);
    if (piece.length >= CHUNK_CHARS) {
      pieces.push(Buffer.from(piece));
      piece = '';
    }
  });
  if (piece !== '') pieces.push(Buffer.from(piece));
  return pieces;
}

/** Records as CSV, CSV_RECORDS_PER_CHUNK a piece. */
function csvPieces(records: readonly (readonly CsvCell[])[]): Buffer[] {
  const pieces: Buffer[] = [];
  for (let start = 0; start < records.length; start += CSV_RECORDS_PER_CHUNK) {
    pieces.push(Buffer.from(csvText(records.slice(start, start + CSV_RECORDS_PER_CHUNK))));
  }
  return pieces;
}
