import { Client } from 'pg';
import { onPostgres } from './postgres-project';
import type { TestApi } from './test-server';

/**
 * Takes the database away from under a running service: on PostgreSQL the server refuses the database's
 * connections and cuts those open; on SQLite the service's connection is closed.
 */
export async function loseDatabase(api: TestApi): Promise<void> {
  if (!onPostgres) {
    await api.server.services.database.dataSource.destroy();
    return;
  }
  const name = decodeURIComponent(new URL(api.databaseUrl).pathname.slice(1));
  const admin = new Client({ connectionString: api.databaseUrl.replace(/\/[^/?]*(\?|$)/, '/postgres$1') });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
  } finally {
    await admin.end();
  }
}
