import './v8-tuned';
import 'reflect-metadata';
import { startServer } from './app';
import { ConfigError, loadConfig } from './config';
import { DatabaseStartError } from './database/startup-checks';
import { HealthListenError } from './http/health-listener';
import { User } from './users/user.entity';

/** Exit code when the database connection cannot be trusted any more: the supervisor restarts us. */
const EXIT_DATABASE_UNUSABLE = 70;

/** Errors of listen() that the operator fixes with HOST or the port's setting (PORT, HEALTH_PORT). */
const listenProblems = (setting: string): Record<string, string> => ({
  EADDRINUSE: `the port is already in use. Stop what uses it, or set another ${setting}.`,
  EADDRNOTAVAIL: 'this machine has no such address. Set HOST to one of its addresses (or 0.0.0.0).',
  ENOTFOUND: 'HOST is not a known host name or address.',
  EINVAL:
    'HOST is not an address to listen on here (a link-local IPv6 address needs its zone: fe80::1%eth0).',
  EAFNOSUPPORT: 'HOST is not an address to listen on here: this machine has no IPv6. Use an IPv4 address.',
  EACCES: `not allowed to use this port (below 1024 needs privileges). Set a ${setting} of 1024 or more.`,
});

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
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`);
      process.exit(2);
    }
    const [setting, port] =
      error instanceof HealthListenError ? ['HEALTH_PORT', config.healthPort] : ['PORT', config.port];
    const listenProblem = listenProblems(setting)[(error as NodeJS.ErrnoException).code ?? ''];
    if (listenProblem) {
      console.error(
        `Simple Ticketing cannot listen on ${config.host}:${port} (${setting}): ${listenProblem}`,
      );
      process.exit(2);
    }
    throw error;
  }
  // Never go on with an unknown transaction state: SQLite recovers the committed data at the next start.
  server.services.database.once('fatal', () => process.exit(EXIT_DATABASE_UNUSABLE));
  server.logger.info(
    {
      url: server.url,
      healthUrl: server.healthUrl ?? undefined,
      publicUrl: config.publicUrl,
      dataDir: config.dataDir,
    },
    `Simple Ticketing is listening on ${server.url}: open ${config.publicUrl} in a browser`,
  );

  let stopping = false;
  const shutdown = (signal: string) => {
    // A second signal (an impatient supervisor, Ctrl-C twice) must not cut the close short.
    if (stopping) {
      server.logger.info({ signal }, 'already shutting down');
      return;
    }
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // A hint, never a reason to stop: a failed read leaves it out.
  const hasAccount = await server.services.database.manager.exists(User).catch(() => true);
  if (!hasAccount) {
    server.logger.info('No account yet: the first account registered becomes the administrator (ADMIN)');
  }
}

main().catch((error: unknown) => {
  console.error('Simple Ticketing could not start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
