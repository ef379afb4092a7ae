#!/usr/bin/env node
// `simple-ticketing`, the command of the packed package: runs the built service in this process,
// so a supervisor's SIGTERM reaches its graceful stop.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const serverEntry = path.join(root, 'server', 'dist', 'main.js');
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

const HELP = `Simple Ticketing ${version}: a ticketing service with its web client.

Usage: simple-ticketing [--help | --version]

Starts the service on an embedded SQLite database kept in ./data (in the folder you run it from)
and serves the web client at http://localhost:4000/. The first account registered becomes the
administrator. Stop it with Ctrl-C (or SIGTERM).

Settings (environment variables):
  PORT          port to listen on (default 4000)
  HOST          address to listen on (default 0.0.0.0)
  HEALTH_PORT   a second port answering only GET /healthz, from a thread of its own (default: none)
  DATA_DIR      folder holding the database and the generated secret (default ./data)
  DATABASE_URL  postgres://user:password@host:5432/database to run on PostgreSQL (JWT_SECRET then required)
  PUBLIC_URL    where people reach the service, for links in messages
  JWT_SECRET    session signing secret, at least 32 characters (default: generated in DATA_DIR)
  TRUST_PROXY   proxies in front (1, 2…, or their addresses) so limits see the real client address
  SMTP_URL      smtp(s)://user:password@host:port (default: messages written to DATA_DIR/outbox)
  LOG_LEVEL     silent, error, warn, info or debug (default info)
The README lists every setting.`;

const [argument] = process.argv.slice(2);
if (argument === '--help' || argument === '-h') {
  console.log(HELP);
} else if (argument === '--version' || argument === '-v') {
  console.log(version);
} else if (argument !== undefined) {
  console.error(`simple-ticketing: unknown argument "${argument}"\n\n${HELP}`);
  process.exit(2);
} else if (!existsSync(serverEntry)) {
  // Only in a repository checkout: the packed package always holds the build.
  console.error(`simple-ticketing: ${serverEntry} is missing: run npm run build first.`);
  process.exit(1);
} else {
  // The client packed beside the server, wherever npm installed the package.
  process.env.CLIENT_DIR ||= path.join(root, 'client', 'dist');
  createRequire(import.meta.url)(serverEntry);
}
