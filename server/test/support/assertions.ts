/** What must never reach a client outside development: stack frames, SQL, file paths, driver names. */
const internals: [string, RegExp][] = [
  ['stack frame', /\bat [\w.<>]+ \(|:\d+:\d+\)/],
  ['stacktrace field', /stacktrace/i],
  ['file path', /\/(work|tmp|home|usr|app)\/|node_modules|[A-Z]:\\\\|\.ts:\d+/],
  ['SQL', /\b(SELECT|INSERT INTO|UPDATE "|DELETE FROM|WHERE)\b|SQLITE_|sqlite/i],
  ['ORM or driver', /TypeORM|QueryFailedError|better-sqlite3|EntityNotFound/i],
];

/** The names of the kinds of internal detail found in a response body (empty when clean). */
export function leakedInternals(body: string): string[] {
  return internals.filter(([, pattern]) => pattern.test(body)).map(([name]) => name);
}
