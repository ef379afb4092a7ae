import { randomBytes } from 'node:crypto';
import {
  type Cluster,
  POSTGRES_RUN_ENV,
  POSTGRES_SERVER_ENV,
  POSTGRES_SKIP_ENV,
  PostgresUnavailableError,
  TEST_DATABASE_URL_ENV,
  checkServer,
  startCluster,
} from './postgres';

/** Where the global teardown finds the cluster (both run in jest's main process). */
export const CLUSTER_KEY = Symbol.for('simple-ticketing.test-postgres-cluster');
export type WithCluster = typeof globalThis & {
  [CLUSTER_KEY]?: { cluster: Cluster; removeExitHooks: () => void };
};

const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Global setup of the `integration (postgres)` project, once per jest run and only when that project
 * is selected: the server given in TEST_DATABASE_URL, or a throw-away cluster started here. The test
 * workers, started after this, inherit its URL through the environment. Under CI=true a PostgreSQL that
 * cannot run fails the run; elsewhere the project's tests are skipped, saying why.
 */
export default async function startTestPostgres(): Promise<void> {
  process.env[POSTGRES_RUN_ENV] = randomBytes(3).toString('hex');
  const given = process.env[TEST_DATABASE_URL_ENV];
  if (given) {
    await checkServer(given);
    process.env[POSTGRES_SERVER_ENV] = given;
    return;
  }
  let cluster: Cluster;
  try {
    cluster = await startCluster();
  } catch (error) {
    if (!(error instanceof PostgresUnavailableError)) throw error;
    if (process.env.CI === 'true') {
      throw new Error(`the integration suite on PostgreSQL cannot run under CI=true: ${error.message}`, {
        cause: error,
      });
    }
    process.env[POSTGRES_SKIP_ENV] =
      `the integration suite on PostgreSQL is skipped: ${error.message} (under CI=true this fails the run).`;
    return;
  }
  process.env[POSTGRES_SERVER_ENV] = cluster.url;
  // The global teardown stops it. A run that ends without it: on exit, on a signal (stopped, then the
  // signal's own ending), or killed outright (the watcher, within a second or two).
  const onSignal = (signal: NodeJS.Signals) => {
    cluster.stop();
    process.kill(process.pid, signal);
  };
  process.once('exit', cluster.stop);
  for (const signal of SIGNALS) process.once(signal, onSignal);
  cluster.watch(process.pid);
  (globalThis as WithCluster)[CLUSTER_KEY] = {
    cluster,
    removeExitHooks: () => {
      process.off('exit', cluster.stop);
      for (const signal of SIGNALS) process.off(signal, onSignal);
    },
  };
}
