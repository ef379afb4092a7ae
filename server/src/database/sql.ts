import type { EntityManager } from 'typeorm';

/** Whether a manager (or data source) talks to PostgreSQL. */
export function isPostgres(manager: Pick<EntityManager, 'connection'>): boolean {
  return manager.connection.options.type === 'postgres';
}

/**
 * Rewrites the `?` placeholders of a statement as PostgreSQL's `$1, $2…`, leaving alone a `?` inside a
 * string literal ('…') or a quoted name ("…"). (No statement of ours uses jsonb's `?` operators.)
 */
export function numberedPlaceholders(text: string): string {
  let index = 0;
  return text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\?/g, (token) =>
    token === '?' ? `$${++index}` : token,
  );
}

/**
 * One raw statement with `?` placeholders, on either database. The few statements the query builder
 * cannot say (RETURNING on a bulk insert, the search index) go through here, never through
 * manager.query directly, so the same text runs on SQLite and PostgreSQL.
 */
export function rawQuery<T = unknown>(
  manager: Pick<EntityManager, 'connection' | 'query'>,
  text: string,
  parameters: readonly unknown[] = [],
): Promise<T> {
  return manager.query(isPostgres(manager) ? numberedPlaceholders(text) : text, [
    ...parameters,
  ]) as Promise<T>;
}
