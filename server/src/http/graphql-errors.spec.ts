import { GraphQLError } from 'graphql';
import { StorageUnavailableError } from '../database/storage-fault';
import { BadInputError } from '../errors';
import { formatError } from './graphql-errors';

const format = (
  message: string,
  extensions: Record<string, unknown>,
  error: unknown = new GraphQLError(message),
) => formatError({ message, extensions }, error, false);

describe('formatError', () => {
  test('drops a rejected variable value (it may hold a password) and names the field', () => {
    const formatted = format(
      'Variable "$input" got invalid value { username: "ab", password: "hunter22hunter" } at "input.username"; Expected value of type "String!", found 3.',
      { code: 'BAD_USER_INPUT' },
    );
    expect(formatted.message).toBe(
      'Variable "$input" got an invalid value at "input.username": Expected value of type "String!", found 3.',
    );
    expect(JSON.stringify(formatted)).not.toContain('hunter22');
    expect(formatted.extensions).toMatchObject({ invalidFields: [{ field: 'username', rule: 'invalid' }] });
  });

  test('an argument graphql-js refuses while executing is bad input naming it, without the value it quoted', () => {
    for (const refusal of [
      'Argument "if" of non-null type "Boolean!" must not be null.',
      'Argument "orderBy" has invalid value { field: $f, direction: ASC, secret: "hunter22" }.',
      'Argument "id" of required type "ID!" was provided the variable "$id" which was not provided a runtime value.',
    ]) {
      const thrown = new GraphQLError(refusal);
      const located = new GraphQLError(refusal, { path: ['tickets'], originalError: thrown });
      const formatted = format(refusal, { code: 'INTERNAL_SERVER_ERROR' }, located);
      const argument = /^Argument "(\w+)"/.exec(refusal)![1];
      expect(formatted).toMatchObject({
        message: `Argument "${argument}" has an invalid value.`,
        extensions: { code: 'BAD_USER_INPUT', invalidFields: [{ field: argument, rule: 'invalid' }] },
      });
      expect(JSON.stringify(formatted)).not.toContain('hunter22');
    }
    // A resolver's own error that happens to read the same is not the client's input.
    const resolverError = new Error('Argument "x" has invalid value 1.');
    const wrapped = new GraphQLError(resolverError.message, { originalError: resolverError });
    expect(format(resolverError.message, { code: 'INTERNAL_SERVER_ERROR' }, wrapped).extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
    });
  });

  test('removes "Did you mean" hints', () => {
    const formatted = format('Cannot query field "titel" on type "Ticket". Did you mean "title"?', {
      code: 'GRAPHQL_VALIDATION_FAILED',
    });
    expect(formatted).toMatchObject({
      message: 'Cannot query field "titel" on type "Ticket".',
      extensions: { code: 'BAD_USER_INPUT', reason: 'GRAPHQL_VALIDATION_FAILED' },
    });
  });

  test('keeps the contract codes and their extensions, without a stack trace', () => {
    const error = BadInputError.field('title', 'length', 'title must be 3 to 200 characters long.');
    const formatted = format(error.message, { ...error.extensions, stacktrace: ['at secret.ts:1'] }, error);
    expect(formatted.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      invalidFields: [{ field: 'title', rule: 'length', message: 'title must be 3 to 200 characters long.' }],
    });
  });

  test('hides everything of an unexpected error outside development', () => {
    const formatted = format('SQLITE_ERROR: no such table: "ticket" at /srv/app/server/dist/x.js', {
      code: 'INTERNAL_SERVER_ERROR',
      stacktrace: ['Error: …'],
    });
    expect(formatted).toEqual({
      message: 'Internal server error.',
      locations: undefined,
      path: undefined,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  test('maps TypeGraphQL UNAUTHORIZED onto the contract FORBIDDEN', () => {
    expect(format('Access denied!', { code: 'UNAUTHORIZED' }).extensions).toEqual({ code: 'FORBIDDEN' });
  });

  test('a write refused by storage says nothing was saved, without the SQLite detail', () => {
    const fault = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    const error = new GraphQLError('x', { originalError: new StorageUnavailableError(fault) });
    const formatted = format('x', {}, error);
    expect(formatted.message).toMatch(/^Nothing was saved/);
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', reason: 'STORAGE_UNAVAILABLE' });
    expect(JSON.stringify(formatted)).not.toMatch(/SQLITE|disk is full/);
  });

  test('a storage fault while reading is STORAGE_UNAVAILABLE too, not a bare internal error', () => {
    const fault = Object.assign(new Error('database disk image is malformed'), { code: 'SQLITE_CORRUPT' });
    const formatted = format(
      'database disk image is malformed',
      {},
      new GraphQLError('x', { originalError: fault }),
    );
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', reason: 'STORAGE_UNAVAILABLE' });
    expect(formatted.message).not.toMatch(/malformed/);
  });
});
