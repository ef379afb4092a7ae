import { BackupCommandError } from './database-file';
import { complaint, findTool, runTool } from './postgres-tools';

/** What a pg_dump archive of ours holds, read without restoring it. */
export interface ArchiveSummary {
  /** The schema of our tables (the service's, `public` unless its search_path says otherwise). */
  schema: string;
  /** Every table of that schema in the archive. */
  tables: string[];
  /** Migration names, oldest first, as the archive records them. */
  migrations: string[];
}

const OUR_TABLES = ['migrations', 'instance', 'ticket'];

/** A table entry of `pg_restore --list`: `214; 1259 16388 TABLE public instance app`. */
const TABLE_ENTRY = /^\d+; \d+ \d+ TABLE (\S+) (\S+) /;

/**
 * Reads an archive's table of contents and its migrations table; throws BackupCommandError (exit 1)
 * when the file is no readable archive, or not one of Simple Ticketing.
 */
export async function readArchive(
  file: string,
  env: NodeJS.ProcessEnv,
  label: string,
): Promise<ArchiveSummary> {
  const pgRestore = findTool('pg_restore', env);
  const list = await runTool(pgRestore, ['--list', file], { env, stdout: 'keep' });
  if (list.code !== 0) {
    throw new BackupCommandError(
      `${label} cannot be read as a pg_dump archive: ${complaint(list.stderr)}`,
      1,
    );
  }
  const tables = list.stdout
    .split('\n')
    .map((line) => TABLE_ENTRY.exec(line))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ schema: match[1], name: match[2] }));
  const schema = tables.find((table) => table.name === 'instance')?.schema;
  const ours = tables.filter((table) => table.schema === schema).map((table) => table.name);
  if (!schema || OUR_TABLES.some((name) => !ours.includes(name))) {
    throw new BackupCommandError(
      `${label} is a pg_dump archive, but not of a Simple Ticketing database (no migrations, instance or ticket table).`,
      1,
    );
  }
  const data = await runTool(
    pgRestore,
    ['--data-only', `--schema=${schema}`, '--table=migrations', '--file=-', file],
    { env, stdout: 'keep' },
  );
  if (data.code !== 0) {
    throw new BackupCommandError(`${label} cannot be read: ${complaint(data.stderr)}`, 1);
  }
  return { schema, tables: ours, migrations: copyColumn(data.stdout, 'name') };
}

/** One column of the rows of a `COPY … FROM stdin;` block of a pg_restore script, in order. */
function copyColumn(script: string, column: string): string[] {
  const lines = script.split('\n');
  const start = lines.findIndex((line) => /^COPY \S+ \(.*\) FROM stdin;$/.test(line));
  if (start < 0) return [];
  const columns = /\((.*)\)/
    .exec(lines[start])![1]
    .split(',')
    .map((name) => name.trim().replace(/^"(.*)"$/, '$1'));
  const index = columns.indexOf(column);
  const values: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line === '\\.') break;
    values.push(unescapeCopy(line.split('\t')[index] ?? ''));
  }
  return values;
}

/** COPY's text format escapes backslash, tab, newline and carriage return. */
function unescapeCopy(value: string): string {
  return value.replace(/\\(.)/g, (_, char: string) => ({ t: '\t', n: '\n', r: '\r' })[char] ?? char);
}
