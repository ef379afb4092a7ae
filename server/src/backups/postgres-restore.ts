import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { Client } from 'pg';
import { escapeIdentifier, escapeLiteral } from 'pg';
import { postgresMigrations } from '../migrations';
import { BackupCommandError, megabytes } from './database-file';
import { type ArchiveSummary, readArchive } from './postgres-archive';
import {
  type FoundTool,
  type PostgresDatabase,
  type ToolRun,
  complaint,
  findTool,
  postgresDatabase,
  withConnection,
} from './postgres-tools';

const KNOWN_MIGRATIONS = new Set(
  postgresMigrations.map((Migration) => new Migration().name ?? Migration.name),
);

/** What the service's PostgreSQL database holds now. */
type TargetState = { kind: 'empty' } | { kind: 'data'; what: string; notInBackup: string[] };

/**
 * `npm run restore` on PostgreSQL: the archive checked, then replayed by psql in one transaction that
 * also gives the database a new instance id, so it lands whole with its new id, or not at all.
 */
export async function restorePostgres(
  source: string,
  url: string,
  env: NodeJS.ProcessEnv,
  force: boolean,
  say: (line: string) => void,
): Promise<void> {
  const database = postgresDatabase(url, env);
  const started = performance.now();
  const archive = await readArchive(source, env, `The file ${source}`);
  const unknown = archive.migrations.filter((name) => !KNOWN_MIGRATIONS.has(name));
  if (unknown.length > 0) {
    throw new BackupCommandError(
      `The file ${source} was made by a newer version of Simple Ticketing (migration ${unknown.join(', ')} is unknown to this one): upgrade this installation first, then restore.`,
      1,
    );
  }
  const pgRestore = findTool('pg_restore', env);
  const psql = findTool('psql', env);
  const state = await withConnection(database, (client) => examineTarget(client, database, archive));
  if (state.kind === 'data' && !force) {
    throw new BackupCommandError(
      `The database ${database.shown} holds data (${state.what}): with the service stopped, add --force to replace it (the backup's tables are dropped and made anew: back it up first if you may need it).`,
      3,
    );
  }
  const instance = `${escapeIdentifier(archive.schema)}."instance"`;
  const newId = crypto.randomBytes(16).toString('hex');
  const { restore, apply } = await replay(
    pgRestore,
    psql,
    source,
    database,
    `UPDATE ${instance} SET "id" = ${escapeLiteral(newId)};\nCOMMIT;\n`,
  );
  if (restore.code !== 0 || apply.code !== 0) {
    // psql stops at its first error, and pg_restore then fails to write: psql's error is the one to say.
    const why = apply.code !== 0 ? complaint(apply.stderr) : complaint(restore.stderr);
    throw new BackupCommandError(`The restore failed (${why}); nothing was changed (one transaction).`, 1);
  }
  const tickets = await withConnection(database, async (client) => {
    const { rows } = await client.query<{ count: string }>(
      `SELECT count(*) AS count FROM ${escapeIdentifier(archive.schema)}."ticket"`,
    );
    return rows[0].count;
  });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  say(
    `Restored ${tickets} tickets (${megabytes(fs.statSync(source).size)} archive) from ${source} into ${database.shown} in ${seconds} s.`,
  );
  if (state.kind === 'data' && state.notInBackup.length > 0) {
    say(`Tables not in the backup were left as they were: ${state.notInBackup.join(', ')}.`);
  }
  say('Start the service: everyone signs in again (sessions from before the restore are ended).');
}

/**
 * Refuses while another program is connected (the service, most likely) and says whether the database
 * holds data: an account, a ticket, or a table the backup does not have. Our tables, empty, are not data:
 * the service makes them at its first start.
 */
async function examineTarget(
  client: Client,
  database: PostgresDatabase,
  archive: ArchiveSummary,
): Promise<TargetState> {
  const others = await client.query<{ name: string; count: number }>(
    `SELECT coalesce(nullif(application_name, ''), usename, 'unknown') AS name, count(*)::int AS count
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      GROUP BY 1 ORDER BY 1`,
  );
  if (others.rows.length > 0) {
    const who = others.rows.map((row) => `${row.name} ×${row.count}`).join(', ');
    throw new BackupCommandError(
      `The database ${database.shown} is in use (${who} connected; the service is running?): stop the service, then restore.`,
      3,
    );
  }
  const { rows: tables } = await client.query<{ schema: string; name: string }>(
    `SELECT n.nspname AS schema, c.relname AS name
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
      ORDER BY 1, 2`,
  );
  if (tables.length === 0) return { kind: 'empty' };
  const ours = (name: string) =>
    tables.some((table) => table.schema === archive.schema && table.name === name);
  const count = async (name: string) =>
    ours(name)
      ? Number(
          (
            await client.query<{ count: string }>(
              `SELECT count(*) AS count FROM ${escapeIdentifier(archive.schema)}.${escapeIdentifier(name)}`,
            )
          ).rows[0].count,
        )
      : 0;
  const accounts = await count('user');
  const tickets = await count('ticket');
  const notInBackup = tables
    .filter((table) => table.schema !== archive.schema || !archive.tables.includes(table.name))
    .map((table) => (table.schema === archive.schema ? table.name : `${table.schema}.${table.name}`));
  if (accounts === 0 && tickets === 0 && notInBackup.length === 0) return { kind: 'empty' };
  const what = [`${accounts} accounts, ${tickets} tickets`];
  if (notInBackup.length > 0) {
    const shown =
      notInBackup.slice(0, 5).join(', ') +
      (notInBackup.length > 5 ? ` and ${notInBackup.length - 5} more` : '');
    what.push(`tables not in the backup: ${shown}`);
  }
  return { kind: 'data', what: what.join('; '), notInBackup };
}

/**
 * pg_restore writes the archive as a script (owners and grants left out: the restoring user owns what it
 * makes) and psql runs it between our BEGIN and, only if pg_restore read the whole archive, `finish`
 * (the new instance id and COMMIT). Any error stops psql (ON_ERROR_STOP); a connection closed without
 * COMMIT rolls everything back.
 */
function replay(
  pgRestore: FoundTool,
  psql: FoundTool,
  source: string,
  database: PostgresDatabase,
  finish: string,
): Promise<{ restore: ToolRun; apply: ToolRun }> {
  const apply = spawn(
    psql.file,
    ['--no-psqlrc', '--quiet', '--no-password', '--set=ON_ERROR_STOP=1', `--dbname=${database.shown}`],
    { env: database.env, stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const restore = spawn(
    pgRestore.file,
    ['--no-owner', '--no-privileges', '--clean', '--if-exists', '--file=-', source],
    { env: database.env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const finished = (child: ChildProcess) =>
    new Promise<ToolRun>((resolve) => {
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', (error) => resolve({ code: 127, stdout: '', stderr: error.message }));
      child.once('close', (code) => resolve({ code: code ?? 1, stdout: '', stderr }));
    });
  const applied = finished(apply);
  const restored = finished(restore);
  // psql stops reading at its first error: writing to it then fails, and its own error is the story.
  apply.stdin.on('error', () => undefined);
  apply.stdin.write('BEGIN;\n');
  restore.stdout.pipe(apply.stdin, { end: false });
  return restored.then(async (restoreRun) => {
    if (restoreRun.code === 0) apply.stdin.end(finish);
    else apply.stdin.end();
    return { restore: restoreRun, apply: await applied };
  });
}
