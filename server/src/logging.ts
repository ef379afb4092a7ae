import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config';

/** JSON lines on stdout. Passwords and tokens never reach a log: variables and headers are not logged. */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: undefined,
    redact: {
      paths: ['req.headers.authorization', 'req.headers.cookie', '*.password', '*.token'],
      remove: true,
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
