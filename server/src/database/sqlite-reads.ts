import type BetterSqlite3 from 'better-sqlite3';
import { QueryFailedError, type DataSource } from 'typeorm';

/**
 * Reads straight from better-sqlite3, for the statements every page sends (loaders, the session check):
 * the same statement on the same connection as TypeORM's query runner, counted and logged alike, but
 *  - without the runner's awaits, query events and result wrapper around a call that is synchronous;
 *  - rows fetched as arrays and named in JavaScript: better-sqlite3 builds a row object property by
 *    property in C++, which took 40% of reading a ticket's 20 jobs (83 → 54 µs measured, same rows).
 * Only statements that do not write the database: anything else is refused, so writes keep going
 * through TypeORM (its events tell the session cache what was written).
 */

type Statement = BetterSqlite3.Statement<unknown[], unknown[]>;

interface Prepared {
  statement: Statement;
  /** Makes the row object from the values, in column order. */
  row: (values: unknown[]) => Record<string, unknown>;
  /** When it was last used, on the `uses` clock. */
  used: number;
}

/**
 * Counts uses of prepared statements: a use stamps its statement, and the one with the oldest stamp is
 * forgotten when the cache is full (rare), where moving the entry to the end of the Map on every read
 * (delete, then set) cost a second and a third lookup of a text of a few hundred characters.
 */
let uses = 0;

function forgetLeastRecentlyUsed(cache: Map<string, Prepared>): void {
  let oldest: string | undefined;
  let oldestUse = Infinity;
  for (const [text, entry] of cache) {
    if (entry.used < oldestUse) {
      oldest = text;
      oldestUse = entry.used;
    }
  }
  if (oldest !== undefined) cache.delete(oldest);
}

/**
 * A function that makes the object of a row with an object literal of the statement's column names:
 * the objects share one shape from the start, where adding the names one by one from a list (a keyed
 * store with a new name each time) went through a chain of shapes and V8's slowest store.
 */
export function rowMaker(names: readonly string[]): (values: unknown[]) => Record<string, unknown> {
  const properties = names.map(
    // A column named __proto__ is an own property, as a plain assignment would not make it.
    (name, index) => `${name === '__proto__' ? '["__proto__"]' : JSON.stringify(name)}: values[${index}]`,
  );
  return new Function('values', `return { ${properties.join(', ')} };`) as (
    values: unknown[],
  ) => Record<string, unknown>;
}

/**
 * Statements kept prepared per connection, the least recently used forgotten first. Their texts come from
 * the code, but the lists in them (`IN (?, ?, …)`) have lengths: loaders pad theirs to powers of two and
 * the ticket list's filters hold each value once, and a statement with more than MAX_KEPT_PARAMETERS
 * is prepared for its one use only (one of 13,000 placeholders holds about 2 MB), so a client cannot fill
 * the cache with large texts.
 */
const MAX_PREPARED = 200;
const MAX_KEPT_PARAMETERS = 512;
const preparedByConnection = new WeakMap<BetterSqlite3.Database, Map<string, Prepared>>();

/** Whitespace and comments before a statement's first word. */
const LEADING_COMMENTS = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/)*/;

function prepared(connection: BetterSqlite3.Database, text: string, parameters: number): Prepared {
  let cache = preparedByConnection.get(connection);
  if (!cache) preparedByConnection.set(connection, (cache = new Map()));
  let entry = cache.get(text);
  if (entry) {
    entry.used = ++uses;
    return entry;
  }
  // A PRAGMA can set something on the connection and still count as a reading one that returns rows
  // (`PRAGMA busy_timeout = 10`): none is read here.
  if (/^pragma\b/i.test(text.replace(LEADING_COMMENTS, ''))) {
    throw new TypeError('sqliteReadRows only reads: a PRAGMA may set something on the connection');
  }
  const statement = connection.prepare<unknown[], unknown[]>(text);
  // `readonly`, not only `reader`: DELETE … RETURNING returns rows.
  if (!statement.reader || !statement.readonly) {
    throw new TypeError('sqliteReadRows only reads: this statement writes or returns no rows');
  }
  statement.raw(true);
  entry = { statement, row: rowMaker(statement.columns().map((column) => column.name)), used: ++uses };
  if (parameters > MAX_KEPT_PARAMETERS) return entry;
  if (cache.size >= MAX_PREPARED) forgetLeastRecentlyUsed(cache);
  cache.set(text, entry);
  return entry;
}

/** How many statements are kept prepared for the connection (tests). */
export function preparedCount(connection: BetterSqlite3.Database): number {
  return preparedByConnection.get(connection)?.size ?? 0;
}

/** The rows of one read, as objects named by column (the last of two equal names wins, as in SQLite). */
export function sqliteReadRows<T>(
  dataSource: DataSource,
  connection: BetterSqlite3.Database,
  text: string,
  parameters: readonly unknown[],
): Promise<T[]> {
  // better-sqlite3 binds no booleans (TypeORM's runner does the same).
  const bound = parameters.map((value) => (typeof value === 'boolean' ? Number(value) : value));
  const logger = dataSource.logger;
  logger.logQuery(text, bound);
  const started = Date.now();
  let arrays: unknown[][];
  let row: Prepared['row'];
  try {
    const entry = prepared(connection, text, bound.length);
    row = entry.row;
    arrays = entry.statement.all(...bound);
  } catch (error) {
    logger.logQueryError(error as Error, text, bound);
    return Promise.reject(new QueryFailedError(text, bound, error as Error));
  }
  const took = Date.now() - started;
  const slowAfter = dataSource.options.maxQueryExecutionTime;
  if (slowAfter && took > slowAfter) logger.logQuerySlow(took, text, bound);
  const rows = new Array<T>(arrays.length);
  for (let index = 0; index < arrays.length; index++) rows[index] = row(arrays[index]) as T;
  return Promise.resolve(rows);
}
