import 'reflect-metadata';
import { startServer } from './app';
import { ConfigError, loadConfig } from './config';
import { DatabaseStartError } from './database/startup-checks';

/** Exit code when the database connection cannot be trusted any more: the supervisor restarts us. */
const EXIT_DATABASE_UNUSABLE = 70;

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  let server;
  try {
    server = await startServer(config);
  } catch (error) {
    if (error instanceof DatabaseStartError) {
      console.error(`Simple Ticketing cannot start: ${error.message}`);
      process.exit(3);
    }
    throw error;
  }
  // Never go on with an unknown transaction state: SQLite recovers the committed data at the next start.
  server.services.database.once('fatal', () => process.exit(EXIT_DATABASE_UNUSABLE));
  server.logger.info(
    { url: server.url, dataDir: config.dataDir },
    `Simple Ticketing is listening on ${server.url}`,
  );

  const shutdown = (signal: string) => {
    server.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((error: unknown) => {
  console.error('Simple Ticketing could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
