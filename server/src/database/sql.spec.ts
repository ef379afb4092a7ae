import { numberedPlaceholders } from './sql';

describe('numberedPlaceholders', () => {
  it('numbers every placeholder in order', () => {
    expect(numberedPlaceholders('UPDATE "job" SET "createdAt" = ? WHERE id = ? AND "ticketId" = ?')).toBe(
      'UPDATE "job" SET "createdAt" = $1 WHERE id = $2 AND "ticketId" = $3',
    );
  });

  it('leaves a question mark inside a string literal or a quoted name alone', () => {
    expect(numberedPlaceholders(`SELECT 'why?', 'it''s ?', "odd?name" FROM "t" WHERE a = ? AND b = ?`)).toBe(
      `SELECT 'why?', 'it''s ?', "odd?name" FROM "t" WHERE a = $1 AND b = $2`,
    );
  });

  it('leaves a statement without placeholders as it is', () => {
    expect(numberedPlaceholders('SELECT "usernameKey" FROM "user"')).toBe('SELECT "usernameKey" FROM "user"');
  });
});
