import path from 'node:path';
import { ConfigError, defaultConfig, loadConfig, parseDuration } from './config';

describe('configuration from the environment', () => {
  test('defaults: port 4000, ./data, 12 hour tokens, embedded SQLite', () => {
    const config = loadConfig({});
    expect(config.port).toBe(4000);
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(config.tokenTtlSeconds).toBe(12 * 3600);
    expect(config.databaseUrl).toBe('');
    expect(config).toEqual(defaultConfig);
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

  test.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ TOKEN_TTL: 'forever' }, /TOKEN_TTL/],
    [{ TOKEN_TTL: '10s' }, /TOKEN_TTL/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
  ])('refuses %j with a message naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  test('durations', () => {
    expect(parseDuration('TOKEN_TTL', '12h')).toBe(43200);
    expect(parseDuration('TOKEN_TTL', '3600')).toBe(3600);
    expect(parseDuration('TOKEN_TTL', '2d')).toBe(172800);
  });
});
