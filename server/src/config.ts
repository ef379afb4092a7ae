import net from 'node:net';
import path from 'node:path';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

/** Every setting of the service, read and validated once from the environment. */
export interface Config {
  port: number;
  host: string;
  /**
   * A second port, on the same host, that answers only GET /healthz, from a thread of its own
   * (http/health-listener.ts): it answers within milliseconds while the service is overloaded. null: none.
   */
  healthPort: number | null;
  /** Holds the SQLite file, the generated token secret and, later, the mail outbox. */
  dataDir: string;
  /** Empty: the embedded SQLite file in dataDir. Otherwise sqlite:<path> or postgres://… */
  databaseUrl: string;
  /** Empty: generated once and kept in dataDir/jwt-secret. */
  jwtSecret: string;
  tokenTtlSeconds: number;
  nodeEnv: 'development' | 'production' | 'test';
  /** The built web client served at `/`; absent folder = API only. */
  clientDir: string;
  logLevel: LogLevel;
  /** Accounts one client address may register per hour. */
  registrationsPerHour: number;
  /** Failed logins one client address may make, across all accounts, per 15 minutes. */
  failedLoginsPerAddress: number;
  /** Express "trust proxy": false, the number of proxies in front (hops), or their addresses and subnets. */
  trustProxy: TrustProxy;
  /** Empty: each message is written as an .eml file under dataDir/outbox. Otherwise smtp: or smtps: URL. */
  smtpUrl: string;
  /** The From of every message: an address, with an optional display name. */
  mailFrom: string;
  /** Where people reach the web client, for links in messages: http(s), no trailing slash. */
  publicUrl: string;
  /**
   * Hosts (names or IP addresses, lowercased) webhooks may reach although they are private (loopback,
   * LAN) and over plain http. Empty: https to public addresses only.
   */
  webhookAllowHosts: string[];
  /** Cost points one API token may spend per hour (GitHub's model: a query costs 1 per 100 nodes asked). */
  apiTokenBudget: number;
  /** The largest file POST /api/import and `npm run import` accept, in megabytes. */
  importMaxMb: number;
  /** The largest attachment POST /api/tickets/{id}/attachments accepts, in megabytes (ATTACHMENT_MAX_MB). */
  attachmentMaxMb: number;
  /** API requests (/graphql, /api) served at the same time; beyond, they wait in line. 0: no limit. */
  maxConcurrentRequests: number;
  /** API requests that may wait in that line; beyond, refused at once with 503 and Retry-After. */
  maxQueuedRequests: number;
  /**
   * The longest an API request waits in line before it is refused with 503, in milliseconds; a quarter of
   * it under sustained overload (more waiting than can start within it; then served newest first).
   */
  maxQueueWaitMs: number;
  /** API requests are refused while the event loop lags more than this, in milliseconds; 0: not checked. */
  maxEventLoopDelayMs: number;
  /**
   * How long a checked session is believed without reading it again, in milliseconds (SESSION_CACHE_MS);
   * any write that could change it forgets it at once (auth/session-cache.ts). 0: read every time.
   */
  sessionCacheMs: number;
}

/** The validated value given to Express as "trust proxy". */
export type TrustProxy = false | number | string[];

/** Settings given in code (tests, scripts): trustProxy may also be `true` (one proxy) or 0 (false). */
export type ConfigOverrides = Partial<Omit<Config, 'trustProxy'>> & {
  trustProxy?: boolean | number | string[];
};

export class ConfigError extends Error {}

// This file sits in server/src (sources) or server/dist (build): the repository is two levels up either way.
const repoRoot = path.resolve(__dirname, '..', '..');

/** Every default but publicUrl, which follows the port (defaultPublicUrl). */
export const defaultConfig: Omit<Config, 'publicUrl'> = {
  port: 4000,
  host: '0.0.0.0',
  healthPort: null,
  dataDir: path.resolve('data'),
  databaseUrl: '',
  jwtSecret: '',
  tokenTtlSeconds: 12 * 3600,
  nodeEnv: 'production',
  clientDir: path.join(repoRoot, 'client', 'dist'),
  logLevel: 'info',
  registrationsPerHour: 20,
  failedLoginsPerAddress: 100,
  trustProxy: false,
  smtpUrl: '',
  mailFrom: 'Simple Ticketing <no-reply@localhost>',
  webhookAllowHosts: [],
  apiTokenBudget: 5000,
  importMaxMb: 50,
  attachmentMaxMb: 10,
  maxConcurrentRequests: 4,
  maxQueuedRequests: 1000,
  maxQueueWaitMs: 1000,
  maxEventLoopDelayMs: 0,
  sessionCacheMs: 2000,
};

/** "12h", "30m", "45s", "2d" or a plain number of seconds. */
export function parseDuration(name: string, raw: string): number {
  const match = /^(\d+)\s*([smhd]?)$/.exec(raw.trim());
  if (!match) throw new ConfigError(`${name} must be a duration like 12h, 30m, 900s or 3600 (got "${raw}")`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  const seconds = Number(match[1]) * unit;
  if (seconds < 60 || seconds > 30 * 86400) {
    throw new ConfigError(`${name} must be between 1 minute and 30 days (got "${raw}")`);
  }
  return seconds;
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < min || Number(raw) > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max} (got "${raw}")`);
  }
  return Number(raw);
}

const MAX_PROXY_HOPS = 10;
/** A JSON import is parsed in memory (about ten times the file's size): past 1 GB, split the export. */
const MAX_IMPORT_MB = 1024;
/** Attachments are held in memory while they are checked and stored in the database: kept modest. */
const MAX_ATTACHMENT_MB = 100;
type LoadSheddingSetting =
  'maxConcurrentRequests' | 'maxQueuedRequests' | 'maxQueueWaitMs' | 'maxEventLoopDelayMs';
const LOAD_SHEDDING_SETTINGS: [LoadSheddingSetting, string][] = [
  ['maxConcurrentRequests', 'MAX_CONCURRENT_REQUESTS'],
  ['maxQueuedRequests', 'MAX_QUEUED_REQUESTS'],
  ['maxQueueWaitMs', 'MAX_QUEUE_WAIT_MS'],
  ['maxEventLoopDelayMs', 'MAX_EVENT_LOOP_DELAY_MS'],
];
/** The accepted range of each load shedding setting (0 turns the concurrency and delay checks off). */
const loadSheddingRange: Record<LoadSheddingSetting, [number, number]> = {
  maxConcurrentRequests: [0, 10_000],
  maxQueuedRequests: [0, 100_000],
  maxQueueWaitMs: [1, 60_000],
  maxEventLoopDelayMs: [0, 60_000],
};
/** A session is believed without reading it for at most this long: a minute, whatever is asked. */
const MAX_SESSION_CACHE_MS = 60_000;
/** Express's names for groups of addresses (proxy-addr). */
const PROXY_ADDRESS_GROUPS = ['loopback', 'linklocal', 'uniquelocal'];

/** An IP address, or a subnet as address/prefix length or (IPv4) address/netmask. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_ADDRESS_GROUPS.includes(entry)) return true;
  const [address, range, ...extra] = entry.split('/');
  const version = net.isIP(address);
  if (version === 0 || extra.length > 0) return false;
  if (range === undefined) return true;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (version === 4 ? 32 : 128);
  return version === 4 && net.isIPv4(range);
}

/** TRUST_PROXY's text as what it names: a yes/no word, a hop count or a comma-separated list. */
function readTrustProxy(raw: string): boolean | number | string[] {
  const text = raw.trim();
  if (/^(false|no)$/i.test(text)) return false;
  if (/^(true|yes)$/i.test(text)) return true;
  if (/^\d+$/.test(text)) return Number(text);
  return text.split(',').map((entry) => entry.trim());
}

/**
 * The one check of "trust proxy", from the environment or from code: false; a hop count (how many
 * proxies stand in front, each appending to X-Forwarded-For), 0 being false; or the proxies' addresses.
 * `true` means one proxy: trusting every hop would read the client's own header.
 */
export function validateTrustProxy(name: string, value: boolean | number | string[]): TrustProxy {
  if (value === true) return 1;
  if (value === false || value === 0) return false;
  if (Array.isArray(value)) return proxyAddresses(name, value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_PROXY_HOPS) {
    throw new ConfigError(`${name}: a hop count must be from 0 to ${MAX_PROXY_HOPS} (got ${value})`);
  }
  return value;
}

function proxyAddresses(name: string, entries: string[]): string[] {
  const bad = entries.filter((entry) => !isProxyAddress(entry));
  if (entries.length === 0 || bad.length > 0) {
    throw new ConfigError(
      `${name} must be false, the number of proxies in front (1, 2…), or a comma-separated list of proxy ` +
        `addresses or subnets (10.0.0.1, 10.0.0.0/8, loopback, uniquelocal); not valid: ` +
        bad.map((entry) => `"${entry}"`).join(', '),
    );
  }
  return entries;
}

function oneOf<T extends string>(name: string, raw: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(`${name} must be one of ${allowed.join(', ')} (got "${raw}")`);
  }
  return raw as T;
}

export function validateDatabaseUrl(raw: string): string {
  if (raw === '' || /^sqlite:.+/.test(raw)) return raw;
  if (/^postgres(ql)?:/i.test(raw)) {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new ConfigError(
        'DATABASE_URL is not a valid PostgreSQL URL: postgres://user:password@host:5432/database (special characters in the password percent-encoded)',
      );
    }
    if (!/^\/\/./.test(raw.replace(/^postgres(ql)?:/i, '')) || !url.hostname) {
      throw new ConfigError(
        'DATABASE_URL must name the PostgreSQL host: postgres://user:password@host:5432/database',
      );
    }
    return raw;
  }
  throw new ConfigError(
    'DATABASE_URL must be empty (embedded SQLite), sqlite:<path to a file>, or postgres://user:password@host:5432/database',
  );
}

/**
 * Several instances on one PostgreSQL database must sign and check sessions with the same key: a secret
 * generated into each one's data folder would log people out at every hop between instances.
 */
export function validateSharedSecret(config: Pick<Config, 'databaseUrl' | 'jwtSecret'>): void {
  if (/^postgres(ql)?:/i.test(config.databaseUrl) && config.jwtSecret === '') {
    throw new ConfigError(
      'JWT_SECRET must be set (at least 32 characters, the same on every instance) when DATABASE_URL is PostgreSQL, for example: JWT_SECRET=$(openssl rand -hex 32)',
    );
  }
}

export function validateJwtSecret(raw: string): string {
  if (raw !== '' && raw.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters long');
  return raw;
}

/** The port of scheme://[userinfo@]host:port[/…], read before the URL parser sees it. */
const SMTP_PORT = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#]*):(\d+)(?:[/?#]|$)/i;

/**
 * smtp://user:pass@host:587 (STARTTLS when offered) or smtps://… (TLS from the start). The message
 * never repeats the value: it may hold a password.
 */
export function validateSmtpUrl(name: string, raw: string): string {
  if (raw === '') return raw;
  const refuse = (why: string) =>
    new ConfigError(
      `${name} ${why}. Leave it empty (messages are written to DATA_DIR/outbox) or give smtp://user:password@host:587 or smtps://user:password@host:465`,
    );
  // The URL parser refuses a port above 65535 as "not a URL": say what is wrong instead.
  const port = SMTP_PORT.exec(raw)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) {
    throw refuse('has a port out of range: the port must be 1–65535');
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw refuse('is not a URL');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:')
    throw refuse('must start with smtp:// or smtps://');
  if (!url.hostname) throw refuse('names no host');
  if ((url.pathname !== '' && url.pathname !== '/') || url.hash) throw refuse('must end after the port');
  return raw;
}

/** The SMTP server without its credentials, for logs and messages: smtp://host:587. */
export function describeSmtpUrl(raw: string): string {
  if (raw === '') return '(none)';
  const url = new URL(raw);
  return `${url.protocol}//${url.host}`;
}

// A display name without <, >, quotes or line breaks, then <local@domain>; or the bare address.
const ADDRESS = String.raw`[^\s@<>"(),;:]+@[^\s@<>"(),;:]+`;
const MAIL_FROM_PATTERN = new RegExp(String.raw`^(?:${ADDRESS}|(?:[^<>"\r\n]+|"[^"\r\n]+") *<${ADDRESS}>)$`);

export function validateMailFrom(name: string, raw: string): string {
  const value = raw.trim();
  if (!MAIL_FROM_PATTERN.test(value)) {
    throw new ConfigError(
      `${name} must be an address, with an optional display name: no-reply@example.com or Simple Ticketing <no-reply@example.com> (got "${raw}")`,
    );
  }
  return value;
}

export const defaultPublicUrl = (port: number) => `http://localhost:${port}`;

/** An http(s) address without query or fragment; the trailing slash is dropped so links join with one. */
export function validatePublicUrl(name: string, raw: string): string {
  let url: URL | undefined;
  try {
    url = new URL(raw.trim());
  } catch {
    url = undefined;
  }
  if (
    !url ||
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    url.search ||
    url.hash ||
    url.username ||
    url.password
  ) {
    throw new ConfigError(
      `${name} must be the http:// or https:// address where people open the service, without query (e.g. https://tickets.example.com) (got "${raw}")`,
    );
  }
  return url.href.replace(/\/+$/, '');
}

function isLoopbackHost(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  return name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127\./.test(name);
}

/** Settings that work but are likely a mistake, logged as warnings at start (they stop nothing). */
export function configWarnings(config: Pick<Config, 'host' | 'publicUrl'>): string[] {
  const url = new URL(config.publicUrl);
  const warnings: string[] = [];
  if (isLoopbackHost(url.hostname) && !isLoopbackHost(config.host)) {
    warnings.push(
      `PUBLIC_URL is ${config.publicUrl} while the service listens beyond this machine: links in emails would open on the reader's own computer. Set PUBLIC_URL to the address people use.`,
    );
  }
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname)) {
    warnings.push(
      'PUBLIC_URL is http: links in emails (password reset, verification) travel unencrypted, and mail programs offer one-click unsubscribe only for https. Use https.',
    );
  }
  return warnings;
}

/** The health port is another port than the service's (0, a port the system chooses, for both is fine). */
export function validateHealthPort(name: string, config: Pick<Config, 'port' | 'healthPort'>): void {
  if (config.healthPort !== null && config.healthPort !== 0 && config.healthPort === config.port) {
    throw new ConfigError(
      `${name} must be another port than PORT (${config.port}): it is a second listener, for health checks only. Leave it empty for none.`,
    );
  }
}

/** Reads the configuration from the environment; throws ConfigError with a clear message on a bad value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const read = (name: string) => (env[name] ?? '').trim();
  const config: Config = { ...defaultConfig, publicUrl: '' };
  if (read('PORT')) config.port = parseInteger('PORT', read('PORT'), 0, 65535);
  if (read('HOST')) config.host = read('HOST');
  if (read('HEALTH_PORT')) config.healthPort = parseInteger('HEALTH_PORT', read('HEALTH_PORT'), 0, 65535);
  validateHealthPort('HEALTH_PORT', config);
  if (read('DATA_DIR')) config.dataDir = path.resolve(read('DATA_DIR'));
  config.databaseUrl = validateDatabaseUrl(read('DATABASE_URL'));
  config.jwtSecret = validateJwtSecret(read('JWT_SECRET'));
  validateSharedSecret(config);
  if (read('TOKEN_TTL')) config.tokenTtlSeconds = parseDuration('TOKEN_TTL', read('TOKEN_TTL'));
  if (read('NODE_ENV'))
    config.nodeEnv = oneOf('NODE_ENV', read('NODE_ENV'), ['development', 'production', 'test'] as const);
  if (read('LOG_LEVEL'))
    config.logLevel = oneOf('LOG_LEVEL', read('LOG_LEVEL'), [
      'silent',
      'error',
      'warn',
      'info',
      'debug',
    ] as const);
  if (read('CLIENT_DIR')) config.clientDir = path.resolve(read('CLIENT_DIR'));
  if (read('REGISTRATIONS_PER_HOUR')) {
    config.registrationsPerHour = parseInteger(
      'REGISTRATIONS_PER_HOUR',
      read('REGISTRATIONS_PER_HOUR'),
      1,
      100000,
    );
  }
  if (read('FAILED_LOGINS_PER_ADDRESS')) {
    config.failedLoginsPerAddress = parseInteger(
      'FAILED_LOGINS_PER_ADDRESS',
      read('FAILED_LOGINS_PER_ADDRESS'),
      1,
      100000,
    );
  }
  if (read('TRUST_PROXY')) {
    config.trustProxy = validateTrustProxy('TRUST_PROXY', readTrustProxy(read('TRUST_PROXY')));
  }
  config.smtpUrl = validateSmtpUrl('SMTP_URL', read('SMTP_URL'));
  if (read('MAIL_FROM')) config.mailFrom = validateMailFrom('MAIL_FROM', read('MAIL_FROM'));
  config.publicUrl = read('PUBLIC_URL')
    ? validatePublicUrl('PUBLIC_URL', read('PUBLIC_URL'))
    : defaultPublicUrl(config.port);
  config.webhookAllowHosts = validateWebhookAllowHosts('WEBHOOK_ALLOW_HOSTS', read('WEBHOOK_ALLOW_HOSTS'));
  if (read('API_TOKEN_BUDGET')) {
    config.apiTokenBudget = parseInteger('API_TOKEN_BUDGET', read('API_TOKEN_BUDGET'), 1, 10_000_000);
  }
  if (read('IMPORT_MAX_MB')) {
    config.importMaxMb = parseInteger('IMPORT_MAX_MB', read('IMPORT_MAX_MB'), 1, MAX_IMPORT_MB);
  }
  if (read('ATTACHMENT_MAX_MB')) {
    config.attachmentMaxMb = parseInteger(
      'ATTACHMENT_MAX_MB',
      read('ATTACHMENT_MAX_MB'),
      1,
      MAX_ATTACHMENT_MB,
    );
  }
  for (const [setting, name] of LOAD_SHEDDING_SETTINGS) {
    if (read(name)) config[setting] = parseInteger(name, read(name), ...loadSheddingRange[setting]);
  }
  if (read('SESSION_CACHE_MS')) {
    config.sessionCacheMs = parseInteger(
      'SESSION_CACHE_MS',
      read('SESSION_CACHE_MS'),
      0,
      MAX_SESSION_CACHE_MS,
    );
  }
  return config;
}

/**
 * WEBHOOK_ALLOW_HOSTS: a comma-separated list of host names or IP addresses (`127.0.0.1,hooks.internal`);
 * no schemes, ports or paths. Returned lowercased, IPv6 without brackets.
 */
export function validateWebhookAllowHosts(name: string, raw: string | string[]): string[] {
  const entries = (Array.isArray(raw) ? raw : raw.split(','))
    .map((entry) =>
      entry
        .trim()
        .toLowerCase()
        .replace(/^\[(.*)\]$/, '$1'),
    )
    .filter((entry) => entry !== '');
  const bad = entries.filter(
    (entry) =>
      net.isIP(entry) === 0 &&
      !/^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/.test(
        entry,
      ),
  );
  if (bad.length > 0) {
    throw new ConfigError(
      `${name} must be a comma-separated list of host names or IP addresses (127.0.0.1,hooks.internal), without scheme, port or path; not valid: ${bad.map((entry) => `"${entry}"`).join(', ')}`,
    );
  }
  return entries;
}

/** Defaults completed by the given values, for tests and scripts that start the service in-process. */
export function resolveConfig(overrides: ConfigOverrides = {}): Config {
  const { trustProxy = defaultConfig.trustProxy, ...rest } = overrides;
  const config: Config = {
    ...defaultConfig,
    publicUrl: '',
    ...rest,
    trustProxy: validateTrustProxy('trustProxy', trustProxy),
  };
  config.healthPort ??= null;
  if (config.healthPort !== null) parseInteger('healthPort', String(config.healthPort), 0, 65535);
  validateHealthPort('healthPort', config);
  validateDatabaseUrl(config.databaseUrl);
  validateJwtSecret(config.jwtSecret);
  validateSharedSecret(config);
  validateSmtpUrl('smtpUrl', config.smtpUrl);
  config.mailFrom = validateMailFrom('mailFrom', config.mailFrom);
  config.publicUrl = validatePublicUrl('publicUrl', overrides.publicUrl ?? defaultPublicUrl(config.port));
  config.webhookAllowHosts = validateWebhookAllowHosts('webhookAllowHosts', config.webhookAllowHosts);
  parseInteger('importMaxMb', String(config.importMaxMb), 1, MAX_IMPORT_MB);
  parseInteger('attachmentMaxMb', String(config.attachmentMaxMb), 1, MAX_ATTACHMENT_MB);
  for (const [setting] of LOAD_SHEDDING_SETTINGS) {
    parseInteger(setting, String(config[setting]), ...loadSheddingRange[setting]);
  }
  parseInteger('sessionCacheMs', String(config.sessionCacheMs), 0, MAX_SESSION_CACHE_MS);
  return config;
}
