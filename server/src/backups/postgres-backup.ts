import fs from 'node:fs';
import type { Client } from 'pg';
import { BackupCommandError, describe, megabytes, syncFileAndFolder } from './database-file';
import { readArchive } from './postgres-archive';
import {
  type PostgresDatabase,
  complaint,
  findTool,
  postgresDatabase,
  runTool,
  withConnection,
} from './postgres-tools';

/** Whether the connection's schema holds the tables every Simple Ticketing database has. */
async function isOurs(client: Client): Promise<boolean> {
  const { rows } = await client.query<{ ours: boolean }>(
    `SELECT to_regclass('"migrations"') IS NOT NULL AND to_regclass('"instance"') IS NOT NULL
        AND to_regclass('"ticket"') IS NOT NULL AS ours`,
  );
  return rows[0].ours;
}

/**
 * `npm run backup` on PostgreSQL: pg_dump's custom format, into FILE.partial (0600) renamed when whole.
 * The tickets counted are those of the dump itself: pg_dump takes the snapshot this connection exports,
 * and reads it in one repeatable-read transaction, without blocking the service's writers.
 */
export async function backUpPostgres(
  url: string,
  env: NodeJS.ProcessEnv,
  target: string,
  say: (line: string) => void,
): Promise<void> {
  const database = postgresDatabase(url, env);
  const started = performance.now();
  const partial = `${target}.partial`;
  await withConnection(database, async (client) => {
    const { rows } = await client.query<{ version: string }>(
      `SELECT current_setting('server_version_num') AS version`,
    );
    const pgDump = findTool('pg_dump', env, Math.floor(Number(rows[0].version) / 10000));
    if (!(await isOurs(client))) {
      throw new BackupCommandError(
        `${database.shown} is not a database of Simple Ticketing (no migrations, instance or ticket table): check DATABASE_URL.`,
        1,
      );
    }
    say(`Backing up ${database.shown} into ${target} (${pgDump.file}, version ${pgDump.version})…`);
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0].id;
    const { count } = (await client.query<{ count: string }>('SELECT count(*) AS count FROM "ticket"'))
      .rows[0];
    try {
      fs.rmSync(partial, { force: true });
      const fd = fs.openSync(partial, 'wx', 0o600);
      let dump;
      try {
        dump = await runTool(
          pgDump,
          ['--format=custom', `--snapshot=${snapshot}`, '--no-password', `--dbname=${database.shown}`],
          { env: database.env, stdout: fd },
        );
      } finally {
        fs.closeSync(fd);
      }
      if (dump.code !== 0) throw new BackupCommandError(complaint(dump.stderr), 1);
      syncFileAndFolder(partial);
      await checkBackup(partial, database, env);
      fs.renameSync(partial, target);
      syncFileAndFolder(target);
    } catch (error) {
      fs.rmSync(partial, { force: true });
      const why = error instanceof BackupCommandError ? error.message : describe(error);
      throw new BackupCommandError(`The backup failed (${why}); nothing was written to ${target}.`, 1);
    } finally {
      await client.query('COMMIT').catch(() => undefined);
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    say(
      `Backed up ${count} tickets (${megabytes(fs.statSync(target).size)}, archive check ok) into ${target} in ${seconds} s.`,
    );
  });
}

/** Reads the whole archive back (every block's checksum) and finds our tables in it. */
async function checkBackup(file: string, database: PostgresDatabase, env: NodeJS.ProcessEnv): Promise<void> {
  await readArchive(file, env, 'The copy');
  const pgRestore = findTool('pg_restore', env);
  const read = await runTool(pgRestore, ['--file=/dev/null', file], { env: database.env });
  if (read.code !== 0)
    throw new BackupCommandError(`the copy cannot be read back: ${complaint(read.stderr)}`, 1);
}
