import fs from 'node:fs';
import path from 'node:path';
import { DataSource, type DataSourceOptions, type EntityManager, type Logger } from 'typeorm';
import type { Config } from '../config';
import { migrations } from '../migrations';
import { entities } from './entities';

export type Dialect = 'sqlite' | 'postgres';

export function sqlitePath(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (config.databaseUrl.startsWith('sqlite:'))
    return path.resolve(config.databaseUrl.slice('sqlite:'.length));
  return path.join(config.dataDir, 'ticketing.sqlite');
}

export function dataSourceOptions(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
): DataSourceOptions {
  const common = {
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logger,
    maxQueryExecutionTime: 500,
  };
  const database = sqlitePath(config);
  fs.mkdirSync(path.dirname(database), { recursive: true });
  return {
    ...common,
    type: 'better-sqlite3',
    database,
    enableWAL: true,
    // FULL: a committed ticket survives a power cut; the busy timeout lets a second process wait its turn.
    prepareDatabase: (db: { pragma(sql: string): unknown }) => {
      db.pragma('busy_timeout = 5000');
      db.pragma('synchronous = FULL');
      db.pragma('foreign_keys = ON');
    },
  };
}

export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === 'postgres' ? 'postgres' : 'sqlite';
}

/**
 * Opens the database and brings its schema up to date. SQLite runs on one connection, so writes are
 * serialized through a queue (see Database.transaction).
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
): Promise<Database> {
  const dataSource = new DataSource(dataSourceOptions(config, logger));
  await dataSource.initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  return new Database(dataSource);
}

export class Database {
  readonly dialect: Dialect;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /**
   * Runs work in one transaction: all of it is written or none. On SQLite every caller shares the
   * single connection, so transactions wait in line instead of nesting into each other.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.dataSource.transaction(work);
    const run = this.queue.then(() => this.dataSource.transaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  async ping(): Promise<void> {
    await this.dataSource.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
