/*
 * The Data page's calls to the plain HTTP routes beside /graphql: export links (downloaded by the browser,
 * straight to disk) and import uploads (fetch with the session cookie, the file as the body).
 */

/** The service refuses larger imports (IMPORT_MAX_BYTES, 50 MB by default); the page refuses them first. */
export const IMPORT_MAX_BYTES = 50 * 1024 * 1024;

export type ImportFormat = 'json' | 'csv';

export interface ExportChoice {
  format: ImportFormat;
  /** The CSV of jobs rather than of tickets. */
  jobs?: boolean;
  /** One project; omitted: everything. */
  projectId?: string;
}

export function exportUrl({ format, jobs = false, projectId }: ExportChoice): string {
  const query = new URLSearchParams({ format });
  if (jobs) query.set('part', 'jobs');
  if (projectId) query.set('project', projectId);
  return `/api/export?${query.toString()}`;
}

/** By the file's name first (browsers give CSV many MIME types), then by its type. */
export function importFormatOf(file: File): ImportFormat | undefined {
  const name = file.name.toLowerCase();
  if (name.endsWith('.json')) return 'json';
  if (name.endsWith('.csv')) return 'csv';
  if (file.type === 'application/json') return 'json';
  if (file.type === 'text/csv') return 'csv';
  return undefined;
}

/** One problem of a refused file: `field` is a path in the JSON or a line of the CSV. */
export interface ImportProblem {
  field: string;
  rule: string;
  message: string;
}

/** A refusal as the service words it (`{ error: { code, message, invalidFields } }`), or a network failure. */
export interface ImportRefusal {
  status: number;
  code: string;
  message: string;
  problems: ImportProblem[];
}

/** A row of a CSV that is not imported, by the line of the file where it starts (1 is the header). */
export interface RefusedRow {
  line: number;
  reason: string;
}

/** What a CSV import did, or would do on a dry run (the service's CsvImportResult). */
export interface CsvImportReport {
  format: 'csv';
  dryRun: boolean;
  project: { id: string; name: string };
  /** Tickets created, or that would be. */
  tickets: number;
  refusedRows: RefusedRow[];
  unknownColumns: string[];
  /** Authors found by email, and accounts created (or to create) for the other emails. */
  users: { matched: number; created: number; createdEmails: string[] };
}

/** What a JSON import did, or would do on a dry run (the service's JsonImportResult). */
/** An account a JSON import creates, or would: the importer sees every role the file hands out. */
export interface CreatedAccount {
  email: string;
  username: string;
  role: 'USER' | 'AGENT' | 'ADMIN';
}

export interface JsonImportReport {
  format: 'json';
  dryRun: boolean;
  users: { created: number; matched: number; createdAccounts: CreatedAccount[] };
  projects: { created: number };
  tickets: { created: number };
  jobs: { created: number };
}

export type ImportReport = CsvImportReport | JsonImportReport;

export type ImportAnswer = { report: ImportReport } | { refusal: ImportRefusal };

interface ImportRequest {
  file: File;
  format: ImportFormat;
  projectId?: string;
  dryRun: boolean;
}

/**
 * POST /api/import with the file as the body. The Content-Type is text/csv or application/json, never a
 * type an HTML form could send: with the session cookie, the service refuses those (CSRF).
 */
export async function sendImport({ file, format, projectId, dryRun }: ImportRequest): Promise<ImportAnswer> {
  const query = new URLSearchParams();
  if (format === 'csv') query.set('format', 'csv');
  if (projectId) query.set('project', projectId);
  if (dryRun) query.set('dryRun', 'true');
  let response: Response;
  try {
    response = await fetch(`/api/import?${query.toString()}`, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': format === 'csv' ? 'text/csv' : 'application/json' },
      body: file,
    });
  } catch {
    return { refusal: { status: 0, code: 'NETWORK', message: '', problems: [] } };
  }
  const body = (await response.json().catch(() => undefined)) as
    { error?: { code?: string; message?: string; invalidFields?: ImportProblem[] } } | undefined;
  if (response.ok && body && !body.error) return { report: body as ImportReport };
  return {
    refusal: {
      status: response.status,
      code: body?.error?.code ?? 'INTERNAL_SERVER_ERROR',
      message: body?.error?.message ?? '',
      problems: body?.error?.invalidFields ?? [],
    },
  };
}
