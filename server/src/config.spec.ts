import path from 'node:path';
import {
  ConfigError,
  configWarnings,
  defaultConfig,
  describeSmtpUrl,
  loadConfig,
  parseDuration,
  resolveConfig,
} from './config';

describe('configuration from the environment', () => {
  test('defaults: port 4000, ./data, 12 hour tokens, embedded SQLite', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.tokenTtlSeconds).toBe(12 * 3600);
    expect(config.databaseUrl).toBe('');
    expect(config).toEqual({ ...defaultConfig, publicUrl: 'http://localhost:4000' });
  });

  test('reads every variable', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '127.0.0.1',
      DATA_DIR: '/tmp/st',
      DATABASE_URL: 'sqlite:/tmp/st/other.sqlite',
      JWT_SECRET: 'x'.repeat(40),
      TOKEN_TTL: '30m',
      NODE_ENV: 'development',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      dataDir: '/tmp/st',
      databaseUrl: 'sqlite:/tmp/st/other.sqlite',
      tokenTtlSeconds: 1800,
      nodeEnv: 'development',
    });
  });

  test('takes a PostgreSQL URL with the shared JWT_SECRET', () => {
    const secret = 'x'.repeat(32);
    const config = loadConfig({
      DATABASE_URL: 'postgresql://st:p%40ss@db.internal:5433/tickets',
      JWT_SECRET: secret,
    });
    expect(config.databaseUrl).toBe('postgresql://st:p%40ss@db.internal:5433/tickets');
  });

  test.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ HEALTH_PORT: 'yes' }, /HEALTH_PORT must be a whole number from 0 to 65535/],
    [{ HEALTH_PORT: '65536' }, /HEALTH_PORT must be a whole number/],
    [{ HEALTH_PORT: '4000' }, /HEALTH_PORT must be another port than PORT \(4000\)/],
    [{ PORT: '8080', HEALTH_PORT: '8080' }, /HEALTH_PORT must be another port than PORT \(8080\)/],
    [{ TOKEN_TTL: 'forever' }, /TOKEN_TTL/],
    [{ TOKEN_TTL: '10s' }, /TOKEN_TTL/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ DATABASE_URL: 'postgres:tickets' }, /DATABASE_URL must name the PostgreSQL host/],
    [{ DATABASE_URL: 'postgres://db:99999/tickets' }, /DATABASE_URL is not a valid PostgreSQL URL/],
    [{ DATABASE_URL: 'postgres://db/tickets' }, /JWT_SECRET must be set .* when DATABASE_URL is PostgreSQL/],
    [{ FAILED_LOGINS_PER_ADDRESS: '0' }, /FAILED_LOGINS_PER_ADDRESS/],
    [{ FAILED_LOGINS_PER_ADDRESS: '100001' }, /FAILED_LOGINS_PER_ADDRESS/],
    [{ FAILED_LOGINS_PER_ADDRESS: 'many' }, /FAILED_LOGINS_PER_ADDRESS/],
    [{ IMPORT_MAX_MB: '0' }, /IMPORT_MAX_MB/],
    [{ IMPORT_MAX_MB: '2.5' }, /IMPORT_MAX_MB/],
    [{ IMPORT_MAX_MB: '5000' }, /IMPORT_MAX_MB/],
    [{ ATTACHMENT_MAX_MB: '0' }, /ATTACHMENT_MAX_MB/],
    [{ ATTACHMENT_MAX_MB: '1.5' }, /ATTACHMENT_MAX_MB/],
    [{ ATTACHMENT_MAX_MB: '101' }, /ATTACHMENT_MAX_MB/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('a health port only when HEALTH_PORT is set', () => {
    expect(loadConfig({}).healthPort).toBeNull();
    expect(loadConfig({ HEALTH_PORT: ' ' }).healthPort).toBeNull();
    expect(loadConfig({ HEALTH_PORT: '4001' }).healthPort).toBe(4001);
    expect(loadConfig({ PORT: '0', HEALTH_PORT: '0' }).healthPort).toBe(0);
    expect(() => resolveConfig({ port: 4100, healthPort: 4100 })).toThrow(/healthPort must be another port/);
    expect(() => resolveConfig({ healthPort: -1 })).toThrow(/healthPort must be a whole number/);
    expect(resolveConfig({ healthPort: undefined }).healthPort).toBeNull();
  });

  test('imports: 50 MB unless set', () => {
    expect(loadConfig({}).importMaxMb).toBe(50);
    expect(loadConfig({ IMPORT_MAX_MB: '200' }).importMaxMb).toBe(200);
  });

  test('attachments: 10 MB unless set', () => {
    expect(loadConfig({}).attachmentMaxMb).toBe(10);
    expect(loadConfig({ ATTACHMENT_MAX_MB: '25' }).attachmentMaxMb).toBe(25);
  });

  test('load shedding: on by default, each setting validated, 0 turns the concurrency and delay checks off', () => {
    expect(loadConfig({})).toMatchObject({
      maxConcurrentRequests: 4,
      maxQueuedRequests: 1000,
      maxQueueWaitMs: 1000,
      maxEventLoopDelayMs: 0,
    });
    const env = {
      MAX_CONCURRENT_REQUESTS: '0',
      MAX_QUEUED_REQUESTS: '500',
      MAX_QUEUE_WAIT_MS: '250',
      MAX_EVENT_LOOP_DELAY_MS: '200',
    };
    expect(loadConfig(env)).toMatchObject({
      maxConcurrentRequests: 0,
      maxQueuedRequests: 500,
      maxQueueWaitMs: 250,
      maxEventLoopDelayMs: 200,
    });
    for (const [name, bad] of [
      ['MAX_CONCURRENT_REQUESTS', '-1'],
      ['MAX_QUEUED_REQUESTS', 'many'],
      ['MAX_QUEUE_WAIT_MS', '0'],
      ['MAX_QUEUE_WAIT_MS', '1.5s'],
      ['MAX_EVENT_LOOP_DELAY_MS', '100000'],
    ]) {
      expect(() => loadConfig({ [name]: bad })).toThrow(new RegExp(`^${name} must be a whole number`));
    }
    expect(() => resolveConfig({ maxQueueWaitMs: 0 })).toThrow(/maxQueueWaitMs/);
    expect(() => resolveConfig({ maxConcurrentRequests: 2.5 })).toThrow(/maxConcurrentRequests/);
  });

  test('session cache: 2 s unless set, 0 turns it off, at most a minute', () => {
    expect(loadConfig({}).sessionCacheMs).toBe(2000);
    expect(loadConfig({ SESSION_CACHE_MS: '0' }).sessionCacheMs).toBe(0);
    expect(loadConfig({ SESSION_CACHE_MS: '500' }).sessionCacheMs).toBe(500);
    for (const bad of ['60001', '-1', '1.5', 'soon']) {
      expect(() => loadConfig({ SESSION_CACHE_MS: bad })).toThrow(
        /^SESSION_CACHE_MS must be a whole number from 0 to 60000/,
      );
    }
  });

  test('failed logins per address: 100 per 15 minutes unless raised (many people behind one address)', () => {
    expect(loadConfig({}).failedLoginsPerAddress).toBe(100);
    expect(loadConfig({ FAILED_LOGINS_PER_ADDRESS: '5000' }).failedLoginsPerAddress).toBe(5000);
    expect(loadConfig({ FAILED_LOGINS_PER_ADDRESS: '1' }).failedLoginsPerAddress).toBe(1);
  });

  test('durations', () => {
    expect(parseDuration('TOKEN_TTL', '12h')).toBe(43200);
    expect(parseDuration('TOKEN_TTL', '3600')).toBe(3600);
    expect(parseDuration('TOKEN_TTL', '2d')).toBe(172800);
  });
});

describe('TRUST_PROXY', () => {
  const trustProxy = (raw: string) => loadConfig({ TRUST_PROXY: raw }).trustProxy;

  test.each([
    ['false', false],
    ['0', false],
    ['true', 1],
    ['TRUE', 1],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    ['10.0.0.1, 10.0.0.0/8,uniquelocal', ['10.0.0.1', '10.0.0.0/8', 'uniquelocal']],
    ['192.168.0.0/255.255.0.0', ['192.168.0.0/255.255.0.0']],
    ['::1, fd00::/8', ['::1', 'fd00::/8']],
  ])('reads %j as %j', (raw, expected) => {
    expect(trustProxy(raw)).toEqual(expected);
  });

  test.each([
    'maybe',
    '11',
    '-1',
    '10.0.0.300',
    '10.0.0.0/33',
    'fd00::/129',
    'loopback, proxy.local',
    '1.5',
    ',',
  ])('refuses %j with a message that names it and says what is accepted', (raw) => {
    expect(() => trustProxy(raw)).toThrow(ConfigError);
    expect(() => trustProxy(raw)).toThrow(/TRUST_PROXY.*(hop count|number of proxies)/);
  });

  test('true given in code is one hop too, never "trust every hop"', () => {
    expect(resolveConfig({ trustProxy: true }).trustProxy).toBe(1);
    expect(resolveConfig({ trustProxy: 0 }).trustProxy).toBe(false);
    expect(resolveConfig({ trustProxy: ['loopback'] }).trustProxy).toEqual(['loopback']);
    expect(() => resolveConfig({ trustProxy: ['not an address'] })).toThrow(ConfigError);
    expect(() => resolveConfig({ trustProxy: 11 })).toThrow(/trustProxy.*hop count/);
    expect(() => resolveConfig({ trustProxy: 1.5 })).toThrow(/trustProxy.*hop count/);
  });
});

describe('mail settings: SMTP_URL, MAIL_FROM, PUBLIC_URL', () => {
  test('defaults: no SMTP (files in DATA_DIR/outbox), a local sender, links to localhost on PORT', () => {
    expect(loadConfig({})).toMatchObject({
      smtpUrl: '',
      mailFrom: 'Simple Ticketing <no-reply@localhost>',
      publicUrl: 'http://localhost:4000',
    });
    expect(loadConfig({ PORT: '8080' }).publicUrl).toBe('http://localhost:8080');
    expect(resolveConfig({ port: 5000 }).publicUrl).toBe('http://localhost:5000');
  });

  test.each(['smtp://user:pass@mail.example.com:587', 'smtps://mail.example.com', 'smtp://127.0.0.1:2525/'])(
    'SMTP_URL %j is taken as given',
    (raw) => {
      expect(loadConfig({ SMTP_URL: raw }).smtpUrl).toBe(raw);
    },
  );

  test.each(['mail.example.com', 'http://mail.example.com', 'smtp://', 'smtp://host:587/inbox'])(
    'SMTP_URL %j is refused',
    (raw) => {
      expect(() => loadConfig({ SMTP_URL: raw })).toThrow(ConfigError);
      expect(() => loadConfig({ SMTP_URL: raw })).toThrow(/SMTP_URL/);
    },
  );

  test.each([
    ['http://mail.example.com', 'SMTP_URL must start with smtp:// or smtps://. Leave it empty'],
    [
      'smtp://user:pass@mail.example.com:99999',
      'SMTP_URL has a port out of range: the port must be 1–65535.',
    ],
    ['smtps://mail.example.com:0', 'SMTP_URL has a port out of range: the port must be 1–65535.'],
    ['smtp:// bad', 'SMTP_URL is not a URL. Leave it empty'],
  ])('SMTP_URL %j is refused with a message that says why', (raw, start) => {
    expect(() => loadConfig({ SMTP_URL: raw })).toThrow(start);
    expect(() => loadConfig({ SMTP_URL: raw })).not.toThrow('::');
  });

  test('a refused SMTP_URL is never repeated (it may hold a password); logs name the server only', () => {
    let message = '';
    try {
      loadConfig({ SMTP_URL: 'smtp://user:s3cret-pass@host:587/x' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SMTP_URL/);
    expect(message).not.toContain('s3cret-pass');
    expect(describeSmtpUrl('smtps://user:s3cret-pass@mail.example.com:465')).toBe(
      'smtps://mail.example.com:465',
    );
  });

  test.each([
    ['no-reply@example.com', 'no-reply@example.com'],
    ['Simple Ticketing <no-reply@example.com>', 'Simple Ticketing <no-reply@example.com>'],
    ['"Support, Team" <help@example.com>', '"Support, Team" <help@example.com>'],
    ['  Équipe <equipe@exemple.fr> ', 'Équipe <equipe@exemple.fr>'],
  ])('MAIL_FROM %j is read as %j', (raw, expected) => {
    expect(loadConfig({ MAIL_FROM: raw }).mailFrom).toBe(expected);
  });

  test.each(['nobody', 'Team <nobody>', 'a@b.c, d@e.f', 'Team <a@b.c>\r\nBcc: x@y.z', '<a@b.c> Team'])(
    'MAIL_FROM %j is refused',
    (raw) => {
      expect(() => loadConfig({ MAIL_FROM: raw })).toThrow(/MAIL_FROM/);
      expect(() => resolveConfig({ mailFrom: raw })).toThrow(/mailFrom/);
    },
  );

  test.each([
    ['https://tickets.example.com/', 'https://tickets.example.com'],
    ['https://example.com/support//', 'https://example.com/support'],
    ['http://10.0.0.5:4000', 'http://10.0.0.5:4000'],
  ])('PUBLIC_URL %j is read as %j (no trailing slash)', (raw, expected) => {
    expect(loadConfig({ PUBLIC_URL: raw }).publicUrl).toBe(expected);
    expect(resolveConfig({ publicUrl: raw }).publicUrl).toBe(expected);
  });

  test.each([
    'tickets.example.com',
    'ftp://example.com',
    'https://example.com/?a=1',
    'https://u:p@example.com',
  ])('PUBLIC_URL %j is refused', (raw) => {
    expect(() => loadConfig({ PUBLIC_URL: raw })).toThrow(/PUBLIC_URL/);
  });
});

describe('PUBLIC_URL warnings at start', () => {
  test('none for the defaults on a loopback HOST, nor for https', () => {
    expect(configWarnings(loadConfig({ HOST: '127.0.0.1' }))).toEqual([]);
    expect(configWarnings(loadConfig({ PUBLIC_URL: 'https://tickets.example.com' }))).toEqual([]);
    expect(configWarnings({ host: '::1', publicUrl: 'http://[::1]:4000' })).toEqual([]);
  });

  test('PUBLIC_URL left to localhost while listening beyond this machine: links would point to localhost', () => {
    const [warning, ...more] = configWarnings(loadConfig({}));
    expect(warning).toMatch(/PUBLIC_URL is http:\/\/localhost:4000 .*Set PUBLIC_URL/);
    expect(more).toEqual([]);
  });

  test('http on a real host name: links travel unencrypted, no one-click unsubscribe', () => {
    const warnings = configWarnings(loadConfig({ PUBLIC_URL: 'http://tickets.example.com' }));
    expect(warnings).toEqual([expect.stringMatching(/PUBLIC_URL is http: .*Use https/)]);
  });
});
