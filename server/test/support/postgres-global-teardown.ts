import {
  DATABASE_NAME_PREFIX,
  POSTGRES_RUN_ENV,
  POSTGRES_SERVER_ENV,
  TEST_DATABASE_URL_ENV,
  dropDatabasesStartingWith,
} from './postgres';
import { CLUSTER_KEY, type WithCluster } from './postgres-global-setup';

/**
 * Global teardown of the `integration (postgres)` project: stops and removes the throw-away cluster, or,
 * on the server of TEST_DATABASE_URL, drops what this run left there (a test file that crashed).
 */
export default async function stopTestPostgres(): Promise<void> {
  const holder = globalThis as WithCluster;
  const started = holder[CLUSTER_KEY];
  if (started) {
    delete holder[CLUSTER_KEY];
    started.removeExitHooks();
    started.cluster.stop();
    return;
  }
  const server = process.env[POSTGRES_SERVER_ENV];
  const run = process.env[POSTGRES_RUN_ENV];
  if (server && run && server === process.env[TEST_DATABASE_URL_ENV]) {
    await dropDatabasesStartingWith(server, `${DATABASE_NAME_PREFIX}${run}_`);
  }
}
