import { numberedPlaceholders } from './sql';

describe('numberedPlaceholders', () => {
  it('numbers every placeholder in order', () => {
    expect(numberedPlaceholders('UPDATE "job" SET "createdAt" = ? WHERE id = ? AND "ticketId" = ?')).toBe(
      'UPDATE "job" SET "createdAt" = $1 WHERE id = $2 AND "ticketId" = $3',
    );
  });

  it('leaves a statement without placeholders as it is', () => {
    expect(numberedPlaceholders('SELECT "usernameKey" FROM "user"')).toBe('SELECT "usernameKey" FROM "user"');
  });
});
