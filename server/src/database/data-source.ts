import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import {
  DataSource,
  type DataSourceOptions,
  type EntityManager,
  type Logger,
  type QueryRunner,
} from 'typeorm';
import type { Config } from '../config';
import { migrations } from '../migrations';
import { entities } from './entities';
import { DatabaseStartError, checkBeforeOpen, checkOpened, describeOpenFailure } from './startup-checks';
import { StorageUnavailableError, isStorageFault, sqliteCodeOf } from './storage-fault';

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
  return {
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logger,
    maxQueryExecutionTime: 500,
    type: 'better-sqlite3',
    database: sqlitePath(config),
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
 * Opens the database, refusing to start on one that is damaged or cannot be written, and brings its
 * schema up to date. Throws DatabaseStartError with what is wrong and what to do.
 */
export async function openDatabase(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
): Promise<Database> {
  const file = sqlitePath(config);
  checkBeforeOpen(config.dataDir, file);
  const dataSource = new DataSource(dataSourceOptions(config, logger));
  try {
    await dataSource.initialize();
  } catch (error) {
    throw describeOpenFailure(file, error);
  }
  try {
    await checkOpened(dataSource, file);
    await dataSource.runMigrations({ transaction: 'each' });
    const database = new Database(dataSource);
    await database.load();
    return database;
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw error instanceof DatabaseStartError ? error : describeOpenFailure(file, error);
  }
}

/** The health of the database as /healthz reports it. */
export type DatabaseHealth = { ok: true } | { ok: false; detail: string };

/** TypeORM's query runner keeps its own idea of the transaction; the connection's is the truth. */
type RunnerTransactionState = QueryRunner & { isTransactionActive: boolean; transactionDepth: number };

/** How long a /healthz write probe result is reused, so the public endpoint cannot be used to load the disk. */
const HEALTH_PROBE_TTL_MS = 1000;
/** After a full disk, a tiny probe may still fit while a ticket does not: healthy again only with this much free. */
const HEALTH_FREE_BYTES_AFTER_FULL = 512 * 1024;

/**
 * The database as the rules see it. On SQLite every caller shares the single connection: transactions
 * wait in line (a queue), start with BEGIN IMMEDIATE and, when a COMMIT or ROLLBACK fails, the
 * connection is brought back to a known state or declared unusable (the 'fatal' event).
 */
export class Database extends EventEmitter<{
  fault: [error: unknown];
  fatal: [error: unknown];
}> {
  readonly dialect: Dialect;
  private loadedInstanceId = '';
  private queue: Promise<unknown> = Promise.resolve();
  /** Set when the connection's transaction state could not be restored: no more writes. */
  private unusable: unknown = null;
  /** The SQLite code of the last storage fault, until a write succeeds again. */
  private writeFault: string | null = null;
  private lastProbe: { at: number; result: Promise<DatabaseHealth> } | null = null;

  constructor(readonly dataSource: DataSource) {
    super();
    this.dialect = dialectOf(dataSource);
  }

  /** The random id created with this database; tokens carry it. */
  get instanceId(): string {
    if (!this.loadedInstanceId) throw new Error('Database.load() has not run');
    return this.loadedInstanceId;
  }

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  /** Reads the instance id (and proves the schema is there). */
  async load(): Promise<void> {
    const [row] = (await this.dataSource.query('SELECT "id" FROM "instance" LIMIT 1')) as { id: string }[];
    if (!row) throw new Error('the database has no instance row');
    this.loadedInstanceId = row.id;
    // Start-up write probe: refuses a database that opens but cannot take a write.
    await this.writeProbe(Date.now());
  }

  /**
   * Runs work in one transaction: all of it is written or none, and an answer is only given once the
   * COMMIT is done (synchronous=FULL: on disk). A storage fault becomes StorageUnavailableError.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return this.dataSource.transaction(work);
    const run = this.queue.then(() => this.sqliteTransaction(work));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get connection(): BetterSqlite3.Database {
    return (this.dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database })
      .databaseConnection;
  }

  private async sqliteTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.unusable) throw new StorageUnavailableError(this.unusable);
    const runner = this.dataSource.createQueryRunner() as RunnerTransactionState;
    if (this.connection.inTransaction || runner.isTransactionActive) {
      // Never start on an unknown state (a write outside the queue: a bug): say so, and restore it first.
      const stray = new Error('a transaction was left open outside Database.transaction; rolled back');
      this.emit('fault', stray);
      this.restore(runner, stray);
    }
    // IMMEDIATE takes the write lock now, so another process's lock is waited for (busy timeout)
    // instead of failing at the first write.
    try {
      await runner.query('BEGIN IMMEDIATE');
    } catch (error) {
      this.restore(runner, error);
      throw this.translate(error);
    }
    // Tell TypeORM a transaction is open, so that save() inside work does not try to open its own.
    runner.isTransactionActive = true;
    runner.transactionDepth = 1;
    try {
      const result = await work(runner.manager);
      await runner.query('COMMIT');
      if (this.connection.inTransaction) throw new Error('COMMIT left the transaction open');
      runner.isTransactionActive = false;
      runner.transactionDepth = 0;
      this.writeFault = null;
      return result;
    } catch (error) {
      this.restore(runner, error);
      throw this.translate(error);
    }
  }

  /**
   * After a failure: SQLite may already have rolled back (a full disk, an I/O error), or not (a busy
   * COMMIT, an error in work). Roll back what is still open, then check the connection itself.
   */
  private restore(runner: RunnerTransactionState, cause: unknown): void {
    if (isStorageFault(cause)) {
      this.writeFault = sqliteCodeOf(cause) ?? 'SQLITE_ERROR';
      this.emit('fault', cause);
    }
    try {
      if (this.connection.inTransaction) this.connection.exec('ROLLBACK');
    } catch (rollbackError) {
      this.emit('fault', rollbackError);
    }
    runner.isTransactionActive = false;
    runner.transactionDepth = 0;
    if (this.connection.inTransaction) {
      this.unusable = cause;
      this.emit('fatal', cause);
    }
  }

  private translate(error: unknown): unknown {
    return isStorageFault(error) ? new StorageUnavailableError(error) : error;
  }

  /** Whether the database can take a write now: a real (tiny) transaction, at most one per second. */
  health(now = Date.now()): Promise<DatabaseHealth> {
    if (this.unusable) return Promise.resolve({ ok: false, detail: 'the connection is unusable' });
    if (this.lastProbe && now - this.lastProbe.at < HEALTH_PROBE_TTL_MS) return this.lastProbe.result;
    const result = this.probeWrite(now);
    this.lastProbe = { at: now, result };
    return result;
  }

  private async probeWrite(now: number): Promise<DatabaseHealth> {
    if (this.writeFault?.startsWith('SQLITE_FULL') && this.dialect === 'sqlite') {
      const folder = path.dirname(String(this.dataSource.options.database));
      const space = await fs.promises.statfs(folder).catch(() => null);
      if (space && space.bavail * space.bsize < HEALTH_FREE_BYTES_AFTER_FULL) {
        return { ok: false, detail: `cannot write (${this.writeFault})` };
      }
    }
    return this.writeProbe(now).then(
      (): DatabaseHealth => ({ ok: true }),
      (error: unknown): DatabaseHealth => ({
        ok: false,
        detail: `cannot write (${sqliteCodeOf(error) ?? this.writeFault ?? 'error'})`,
      }),
    );
  }

  /** The smallest real write: one row, one commit. */
  private writeProbe(now: number): Promise<unknown> {
    return this.transaction((manager) => manager.query('UPDATE "instance" SET "checkedAt" = ?', [now]));
  }

  /** Waits for queued transactions, moves the WAL into the main file and closes the connection. */
  async close(): Promise<void> {
    await this.queue;
    if (!this.dataSource.isInitialized) return;
    if (this.dialect === 'sqlite' && !this.unusable) {
      try {
        this.connection.pragma('wal_checkpoint(TRUNCATE)');
      } catch (error) {
        this.emit('fault', error);
      }
    }
    await this.dataSource.destroy();
  }
}
