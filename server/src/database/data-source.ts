import { AsyncLocalStorage } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { types as pgTypes } from 'pg';
import {
  DataSource,
  type DataSourceOptions,
  type EntityManager,
  type Logger,
  type QueryRunner,
} from 'typeorm';
import type { Config } from '../config';
import { migrations, postgresMigrations } from '../migrations';
import { entities } from './entities';
import { sqliteDriver } from './sqlite-driver';
import { isPostgresUrl } from './database-url';
import {
  DatabaseStartError,
  checkBeforeOpen,
  checkOpened,
  describeOpenFailure,
  describePostgresFailure,
} from './startup-checks';
import { rawQuery } from './sql';
import {
  StorageUnavailableError,
  isRetryableConflict,
  isStorageFault,
  postgresCodeOf,
  sqliteCodeOf,
} from './storage-fault';

export type Dialect = 'sqlite' | 'postgres';

// Timestamps and counts are bigint (int8): numbers, as on SQLite, not strings (ms since 1970 fit well
// within 2^53). NUMERIC (averages) likewise: no money is kept here.
pgTypes.setTypeParser(pgTypes.builtins.INT8, (value) => Number(value));
pgTypes.setTypeParser(pgTypes.builtins.NUMERIC, (value) => Number(value));

/** Connections per instance on PostgreSQL. */
const POSTGRES_POOL_SIZE = 10;
/** How long a PostgreSQL statement may run before the server cancels it (a runaway query, not a 30 s hang). */
const POSTGRES_STATEMENT_TIMEOUT_MS = 30_000;

export function sqlitePath(config: Pick<Config, 'databaseUrl' | 'dataDir'>): string {
  if (config.databaseUrl.startsWith('sqlite:'))
    return path.resolve(config.databaseUrl.slice('sqlite:'.length));
  return path.join(config.dataDir, 'ticketing.sqlite');
}

export function dataSourceOptions(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
): DataSourceOptions {
  if (isPostgresUrl(config.databaseUrl)) {
    return {
      entities,
      migrations: postgresMigrations,
      migrationsRun: false,
      synchronize: false,
      logger,
      maxQueryExecutionTime: 500,
      type: 'postgres',
      url: config.databaseUrl,
      applicationName: 'simple-ticketing',
      extra: {
        max: POSTGRES_POOL_SIZE,
        connectionTimeoutMillis: LOCK_WAIT_MS,
        statement_timeout: POSTGRES_STATEMENT_TIMEOUT_MS,
        // A lock held elsewhere (another instance's long import) is waited for as on SQLite, 5 s at most.
        lock_timeout: LOCK_WAIT_MS,
        // A peer that vanished without closing (a dropped network) is noticed instead of hanging a request.
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      },
    };
  }
  return {
    entities,
    migrations,
    migrationsRun: false,
    synchronize: false,
    logger,
    maxQueryExecutionTime: 500,
    type: 'better-sqlite3',
    driver: sqliteDriver(),
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
  if (isPostgresUrl(config.databaseUrl)) return openPostgres(config, logger);
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

/** A key of PostgreSQL's advisory locks: instances starting together migrate one after the other. */
const MIGRATION_LOCK = 7_305_100;
/** The key of the lock that keeps jobs and events in commit order (see holdAppendOrder). */
const APPEND_ORDER_LOCK = 7_305_101;

/**
 * Brings the schema up to date on connections of its own, without the service's statement and lock
 * timeouts (an index on a large table takes its time; another instance migrating is waited for). One
 * instance migrates while the others wait on the lock, then find nothing left to do.
 */
async function migratePostgres(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
): Promise<void> {
  const options = dataSourceOptions(config, logger) as DataSourceOptions & { extra: Record<string, unknown> };
  const migrator = new DataSource({
    ...options,
    extra: { ...options.extra, max: 2, statement_timeout: 0, lock_timeout: 0 },
  } as DataSourceOptions);
  await migrator.initialize();
  try {
    const runner = migrator.createQueryRunner();
    try {
      await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      await migrator.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await runner.release();
    }
  } finally {
    await migrator.destroy();
  }
}

async function openPostgres(
  config: Pick<Config, 'databaseUrl' | 'dataDir'>,
  logger?: Logger,
): Promise<Database> {
  try {
    await migratePostgres(config, logger);
  } catch (error) {
    throw describePostgresFailure(config.databaseUrl, error);
  }
  const dataSource = new DataSource(dataSourceOptions(config, logger));
  try {
    await dataSource.initialize();
  } catch (error) {
    throw describePostgresFailure(config.databaseUrl, error);
  }
  try {
    const database = new Database(dataSource);
    await database.load();
    return database;
  } catch (error) {
    if (dataSource.isInitialized) await dataSource.destroy().catch(() => undefined);
    throw describePostgresFailure(config.databaseUrl, error);
  }
}

/**
 * Called before a transaction appends a job or a domain event. Readers follow both by id (the history
 * feed, the event consumers), so ids must become visible in order: on PostgreSQL a transaction that took
 * id 11 could commit before the one holding id 10, and a reader past 11 would never see 10. This lock,
 * held from before the id is taken until the commit, makes id order the commit order across every
 * instance. On SQLite there is one writer at a time: nothing to do.
 */
export async function holdAppendOrder(manager: EntityManager, notifyChannel?: string): Promise<void> {
  if (manager.connection.options.type !== 'postgres') return;
  // A notification to send at commit rides on the same round trip (PostgreSQL sends it then, or never).
  if (notifyChannel) {
    await manager.query("SELECT pg_advisory_xact_lock($1), pg_notify($2, '')", [
      APPEND_ORDER_LOCK,
      notifyChannel,
    ]);
  } else {
    await manager.query('SELECT pg_advisory_xact_lock($1)', [APPEND_ORDER_LOCK]);
  }
}

/**
 * How many times a PostgreSQL transaction that lost to a concurrent one is run again before giving up:
 * each round at least one of the contenders commits, so this many writers on one row at once all pass.
 */
const CONFLICT_ATTEMPTS = 40;
/**
 * A unique key taken by a concurrent transaction is run again a few times only: the rule's own check
 * then sees the row. One its check never looks at is a bug, not a race, and should surface soon.
 */
const UNIQUE_CONFLICT_ATTEMPTS = 3;

function attemptsFor(error: unknown): number {
  return postgresCodeOf(error) === '23505' ? UNIQUE_CONFLICT_ATTEMPTS : CONFLICT_ATTEMPTS;
}

/** The longest pause before a new attempt: random below it, doubling from 4 ms. */
const CONFLICT_PAUSE_MAX_MS = 200;

/** The health of the database as /healthz reports it. */
export type DatabaseHealth = { ok: true } | { ok: false; detail: string };

const FILE_REPLACED =
  'the database file on disk is not the one the service has open (deleted or replaced): stop the service, then restore or put back the file';

/** TypeORM's query runner keeps its own idea of the transaction; the connection's is the truth. */
type RunnerTransactionState = QueryRunner & { isTransactionActive: boolean; transactionDepth: number };

/** How long a /healthz write probe result is reused, so the public endpoint cannot be used to load the disk. */
const HEALTH_PROBE_TTL_MS = 1000;
/** After a full disk, a tiny probe may still fit while a ticket does not: healthy again only with this much free. */
const HEALTH_FREE_BYTES_AFTER_FULL = 512 * 1024;
/** How long a write waits for another process's lock before it is refused. */
export const LOCK_WAIT_MS = 5000;
/** The database file's identity on disk, to notice it being deleted or replaced under the service. */
type FileIdentity = { dev: number; ino: number };

/**
 * Group commit on SQLite: at most this many queued transactions share one BEGIN IMMEDIATE … COMMIT (one
 * WAL sync), and none joins a group open for longer than GROUP_JOIN_MS, so a group stays short.
 */
const GROUP_MAX_UNITS = 32;
const GROUP_JOIN_MS = 20;
/**
 * A group open this long commits what it has done before starting another unit (the rest go back to the
 * head of the line): slow units (imports) never pile up in one transaction, its WAL and its wait.
 */
const GROUP_HOLD_MS = 50;

/** One caller waiting for the SQLite connection: a write transaction or a read of committed data. */
interface Turn {
  kind: 'write' | 'read';
  work: (manager: EntityManager) => Promise<unknown>;
  /** Runs fn in the caller's async context (its request's statement count, its logger). */
  inContext: <R>(fn: () => R) => R;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * The database as the rules see it. On SQLite every caller shares the single connection: transactions
 * wait in line (a queue), those waiting together share one BEGIN IMMEDIATE … COMMIT (group commit: one
 * WAL sync for all of them, each in a savepoint of its own) and, when a COMMIT or ROLLBACK fails, the
 * connection is brought back to a known state or declared unusable (the 'fatal' event). On PostgreSQL
 * each transaction has its own pooled connection and runs SERIALIZABLE: one that loses to a concurrent
 * one (another request, another instance) is rolled back and run again, so the rules written for one
 * writer at a time hold across instances too.
 */
export class Database extends EventEmitter<{
  fault: [error: unknown];
  fatal: [error: unknown];
  /** After every successful commit: consumers of the outbox and the event log wake up. */
  committed: [];
  /**
   * Writes were undone outside TypeORM: a whole transaction (a failed group on SQLite), or one unit of a
   * group rolled back to its savepoint, whose writes the other units' requests may have read already.
   */
  rolledBack: [];
}> {
  readonly dialect: Dialect;
  private loadedInstanceId = '';
  /** Callers waiting for the SQLite connection, in arrival order. */
  private readonly waiting: Turn[] = [];
  /** The loop serving waiting, while there is any. */
  private draining: Promise<void> | null = null;
  /** Set when the connection's transaction state could not be restored: no more writes. */
  private unusable: unknown = null;
  /**
   * The SQLite code of the last storage fault, until a write succeeds again; a full disk only once it
   * has room again too, since small writes (a probe, a worker's bookkeeping) fit where a ticket does not.
   */
  private writeFault: string | null = null;
  private lastProbe: { at: number; result: Promise<DatabaseHealth> } | null = null;
  private openedFile: FileIdentity | null = null;
  private savepoints: {
    connection: BetterSqlite3.Database;
    open: BetterSqlite3.Statement;
    release: BetterSqlite3.Statement;
  } | null = null;

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
    const [row] = await rawQuery<{ id: string }[]>(this.manager, 'SELECT "id" FROM "instance" LIMIT 1');
    if (!row) throw new Error('the database has no instance row');
    this.loadedInstanceId = row.id;
    if (this.dialect === 'sqlite') this.openedFile = fs.statSync(this.file);
    // Start-up write probe: refuses a database that opens but cannot take a write.
    await this.writeProbe(Date.now());
    // A tiny probe fits in space a ticket will not: start (reading is useful) but report it.
    if ((await this.freeBytes()) < HEALTH_FREE_BYTES_AFTER_FULL) {
      this.writeFault = 'SQLITE_FULL';
      this.emit('fault', new Error('the disk holding the database is (nearly) full'));
    }
  }

  private get file(): string {
    return String(this.dataSource.options.database);
  }

  private async freeBytes(): Promise<number> {
    if (this.dialect !== 'sqlite') return Infinity;
    const space = await fs.promises.statfs(path.dirname(this.file)).catch(() => null);
    return space ? space.bavail * space.bsize : Infinity;
  }

  /** Whether the file on disk is still the one the connection has open (not deleted, not replaced). */
  private fileReplaced(): boolean {
    if (!this.openedFile) return false;
    const now = fs.statSync(this.file, { throwIfNoEntry: false });
    return !now || now.ino !== this.openedFile.ino || now.dev !== this.openedFile.dev;
  }

  /**
   * Runs work in one transaction: all of it is written or none, and an answer is only given once the
   * COMMIT is done (synchronous=FULL: on disk). On SQLite that COMMIT may be shared with other callers'
   * work (commitGroup), which never sees or keeps this work's writes if it fails. A storage fault
   * becomes StorageUnavailableError.
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (!this.dataSource.isInitialized) {
      return Promise.reject(new StorageUnavailableError(new Error('the database connection is closed')));
    }
    if (this.dialect === 'postgres') return this.postgresTransaction(work);
    return this.enqueue('write', work);
  }

  /**
   * Runs reads that must not see a transaction in flight (the history feed: a job read before its
   * transaction rolls back would be delivered, and its id later reused by another job). On SQLite the
   * single connection shows its open transaction to every reader, so these wait their turn in the queue.
   */
  readCommitted<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.dialect === 'postgres') return work(this.manager);
    return this.enqueue('read', work);
  }

  /**
   * SERIALIZABLE, run again (after a short random pause) when it lost to a concurrent transaction; work
   * must therefore only touch the database. A storage fault becomes StorageUnavailableError.
   */
  private async postgresTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        const result = await this.dataSource.transaction('SERIALIZABLE', work);
        this.writeFault = null;
        this.emit('committed');
        return result;
      } catch (error) {
        if (isRetryableConflict(error) && attempt < attemptsFor(error)) {
          const ceiling = Math.min(CONFLICT_PAUSE_MAX_MS, 4 * 2 ** attempt);
          await new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
          continue;
        }
        if (isStorageFault(error)) {
          this.writeFault = postgresCodeOf(error) ?? 'connection';
          this.emit('fault', error);
          throw new StorageUnavailableError(error);
        }
        throw error;
      }
    }
  }

  private get connection(): BetterSqlite3.Database {
    return (this.dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database })
      .databaseConnection;
  }

  private enqueue<T>(kind: Turn['kind'], work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const inContext = AsyncLocalStorage.snapshot();
      this.waiting.push({ kind, work, inContext, resolve: resolve as (value: unknown) => void, reject });
      this.draining ??= this.drain();
    });
  }

  /** Serves the waiting callers, one read or one group of writes at a time, until none is left. */
  private async drain(): Promise<void> {
    for (;;) {
      // One turn of the event loop first: requests already received join this group instead of the next.
      await new Promise((resolve) => setImmediate(resolve));
      const next = this.waiting[0];
      if (!next) break;
      if (next.kind === 'read') {
        this.waiting.shift();
        // try/catch, not .then: work that throws before returning a promise must not stop the loop.
        try {
          next.resolve(await next.inContext(() => next.work(this.manager)));
        } catch (error) {
          next.reject(error);
        }
      } else {
        const group = this.takeWrites(GROUP_MAX_UNITS);
        // A bug in the group's own bookkeeping must not leave callers waiting forever.
        await this.commitGroup(group).catch((error: unknown) => {
          this.emit('fault', error);
          for (const unit of group) unit.reject(error);
        });
      }
    }
    this.draining = null;
  }

  /** The writes at the head of the line, up to room of them. */
  private takeWrites(room: number): Turn[] {
    const taken: Turn[] = [];
    while (taken.length < room && this.waiting[0]?.kind === 'write') taken.push(this.waiting.shift()!);
    return taken;
  }

  /**
   * Group commit: the writes waiting at the head of the line (and those arriving while it runs, for a
   * short while) run one after the other inside one BEGIN IMMEDIATE … COMMIT, each in a SAVEPOINT of its
   * own. One whose work fails is rolled back to its savepoint alone and answered with its error at once;
   * the others are answered only once the shared COMMIT is done (synchronous=FULL: on disk), so what is
   * acknowledged is as durable as with one COMMIT each, for one WAL sync per group instead of one each.
   * A failed BEGIN or COMMIT, or a fault that ends the transaction, fails every unit not yet answered.
   */
  private async commitGroup(group: Turn[]): Promise<void> {
    const failAll = (units: Turn[], error: unknown) => units.forEach((unit) => unit.reject(error));
    if (this.unusable) return failAll(group, new StorageUnavailableError(this.unusable));
    // Writing on would go to a file nobody will ever open again: refuse until the service restarts.
    if (this.fileReplaced()) return failAll(group, new StorageUnavailableError(new Error(FILE_REPLACED)));
    const runner = this.dataSource.createQueryRunner() as RunnerTransactionState;
    if (this.connection.inTransaction || runner.isTransactionActive) {
      // Never start on an unknown state (a write outside the queue: a bug): say so, and restore it first.
      const stray = new Error('a transaction was left open outside Database.transaction; rolled back');
      this.emit('fault', stray);
      this.restore(runner, stray);
    }
    // BEGIN and COMMIT are counted as the first unit's statements: alone, a transaction costs what it did.
    const first = group[0];
    try {
      await first.inContext(() => this.beginImmediate(runner));
    } catch (error) {
      this.restore(runner, error);
      return failAll(group, this.translate(error));
    }
    const openedAt = Date.now();
    // Tell TypeORM a transaction is open, so that save() inside work does not try to open its own.
    runner.isTransactionActive = true;
    runner.transactionDepth = 1;
    const done: { unit: Turn; result: unknown }[] = [];
    /** Units rolled back to their savepoint: answered with their error once the group is over. */
    const refused: { unit: Turn; error: unknown }[] = [];
    const savepoint = this.savepointStatements();
    for (let index = 0; index < group.length; index += 1) {
      if (index > 0 && Date.now() - openedAt >= GROUP_HOLD_MS) {
        this.waiting.unshift(...group.splice(index));
        break;
      }
      const unit = group[index];
      try {
        // Savepoints go straight to the connection: not the caller's statements, not counted.
        savepoint.open.run();
        const result = await unit.inContext(() => unit.work(runner.manager));
        savepoint.release.run();
        done.push({ unit, result });
      } catch (error) {
        if (!this.rollbackUnit()) {
          this.restore(runner, error);
          unit.reject(this.translate(error));
          for (const entry of refused) entry.unit.reject(entry.error);
          failAll([...done.map((entry) => entry.unit), ...group.slice(index + 1)], this.translate(error));
          return;
        }
        if (isStorageFault(error)) {
          this.writeFault = sqliteCodeOf(error) ?? 'SQLITE_ERROR';
          this.emit('fault', error);
        }
        refused.push({ unit, error: this.translate(error) });
      }
      if (index === group.length - 1 && Date.now() - openedAt < GROUP_JOIN_MS) {
        group.push(...this.takeWrites(GROUP_MAX_UNITS - group.length));
      }
    }
    try {
      await first.inContext(() => runner.query('COMMIT'));
      if (this.connection.inTransaction) throw new Error('COMMIT left the transaction open');
    } catch (error) {
      this.restore(runner, error);
      for (const entry of refused) entry.unit.reject(entry.error);
      return failAll(
        done.map((entry) => entry.unit),
        this.translate(error),
      );
    }
    runner.isTransactionActive = false;
    runner.transactionDepth = 0;
    if (done.length > 0 && !this.writeFault?.startsWith('SQLITE_FULL')) this.writeFault = null;
    this.emit('committed');
    for (const entry of refused) entry.unit.reject(entry.error);
    for (const { unit, result } of done) unit.resolve(result);
  }

  /** SAVEPOINT and RELEASE of a group's unit, prepared once per connection. */
  private savepointStatements(): { open: BetterSqlite3.Statement; release: BetterSqlite3.Statement } {
    const connection = this.connection;
    if (this.savepoints?.connection !== connection) {
      this.savepoints = {
        connection,
        open: connection.prepare('SAVEPOINT unit'),
        release: connection.prepare('RELEASE unit'),
      };
    }
    return this.savepoints;
  }

  /**
   * Undoes one failed unit of a group, the others' work kept. False when that is not possible: the
   * failure ended the whole transaction (SQLite rolls back by itself on some I/O errors), or the
   * savepoint could not be rolled back.
   */
  private rollbackUnit(): boolean {
    if (!this.connection.inTransaction) return false;
    try {
      this.connection.exec('ROLLBACK TO unit; RELEASE unit');
      this.emit('rolledBack');
      return true;
    } catch (error) {
      this.emit('fault', error);
      return false;
    }
  }

  /**
   * IMMEDIATE takes the write lock at once, so another process's lock is waited for instead of failing at
   * the first write. The wait is ours, not SQLite's busy timeout, which would block the event loop
   * (better-sqlite3 is synchronous) and so every reader of this process.
   */
  private async beginImmediate(runner: RunnerTransactionState): Promise<void> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let pause = 2; ; pause = Math.min(pause * 2, 100)) {
      this.connection.pragma('busy_timeout = 0');
      try {
        await runner.query('BEGIN IMMEDIATE');
        return;
      } catch (error) {
        if (!sqliteCodeOf(error)?.startsWith('SQLITE_BUSY') || Date.now() + pause > deadline) throw error;
      } finally {
        this.connection.pragma(`busy_timeout = ${LOCK_WAIT_MS}`);
      }
      await new Promise((resolve) => setTimeout(resolve, pause));
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
    this.emit('rolledBack');
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
    if (!this.dataSource.isInitialized)
      return Promise.resolve({ ok: false, detail: 'the database is closed' });
    if (this.lastProbe && now - this.lastProbe.at < HEALTH_PROBE_TTL_MS) return this.lastProbe.result;
    const result = this.probeWrite(now);
    this.lastProbe = { at: now, result };
    return result;
  }

  private async probeWrite(now: number): Promise<DatabaseHealth> {
    if (this.fileReplaced()) return { ok: false, detail: FILE_REPLACED };
    const full = this.writeFault?.startsWith('SQLITE_FULL') ?? false;
    if (full && (await this.freeBytes()) < HEALTH_FREE_BYTES_AFTER_FULL) {
      return { ok: false, detail: `cannot write (${this.writeFault})` };
    }
    return this.writeProbe(now).then(
      (): DatabaseHealth => {
        if (full) this.writeFault = null;
        return { ok: true };
      },
      (error: unknown): DatabaseHealth => ({
        ok: false,
        detail: `cannot write (${sqliteCodeOf(error) ?? postgresCodeOf(error) ?? this.writeFault ?? 'error'})`,
      }),
    );
  }

  /** The smallest real write: one row, one commit. */
  private writeProbe(now: number): Promise<unknown> {
    return this.transaction((manager) => rawQuery(manager, 'UPDATE "instance" SET "checkedAt" = ?', [now]));
  }

  /** Waits for queued transactions, moves the WAL into the main file and closes the connection. */
  async close(): Promise<void> {
    while (this.draining) await this.draining;
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
