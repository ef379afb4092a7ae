import { randomBytes } from 'node:crypto';
import type { EnvironmentContext, JestEnvironmentConfig } from '@jest/environment';
import type { Circus } from '@jest/types';
import { TestEnvironment } from 'jest-environment-node';
import {
  DATABASE_NAME_PREFIX,
  FILE_DATABASES_ENV,
  POSTGRES_RUN_ENV,
  POSTGRES_SERVER_ENV,
  POSTGRES_SKIP_ENV,
  TEST_DATABASE_ENV,
  dropDatabasesStartingWith,
  reportSkip,
} from './postgres';

/**
 * The test environment of the `integration (postgres)` project: Node's, plus the database choice for the
 * test file (postgres-project.ts reads it) and, once the file is done (after its last afterAll), the drop
 * of every database it made. When the global setup found no PostgreSQL outside CI, every test is skipped.
 */
export default class PostgresTestEnvironment extends TestEnvironment {
  private readonly server = process.env[POSTGRES_SERVER_ENV];
  private readonly skipReason = process.env[POSTGRES_SKIP_ENV];
  private readonly prefix: string;

  constructor(config: JestEnvironmentConfig, context: EnvironmentContext) {
    super(config, context);
    const run = process.env[POSTGRES_RUN_ENV];
    if (!this.skipReason && (!this.server || !run)) {
      throw new Error(
        `${POSTGRES_SERVER_ENV} is not set: the global setup of the 'integration (postgres)' project ` +
          `(server/test/support/postgres-global-setup.ts) starts PostgreSQL and sets it.`,
      );
    }
    this.prefix = `${DATABASE_NAME_PREFIX}${run}_${randomBytes(3).toString('hex')}`;
    const env = this.global.process.env;
    env[TEST_DATABASE_ENV] = 'postgres';
    env[FILE_DATABASES_ENV] = this.prefix;
    if (this.skipReason) reportSkip(this.skipReason);
  }

  handleTestEvent(event: Circus.Event, state: Circus.State): void {
    // Skipping the root block skips every test of the file, and its hooks with them.
    if (this.skipReason && event.name === 'run_start') state.rootDescribeBlock.mode = 'skip';
  }

  override async teardown(): Promise<void> {
    try {
      if (this.server && !this.skipReason) await dropDatabasesStartingWith(this.server, this.prefix);
    } finally {
      await super.teardown();
    }
  }
}
