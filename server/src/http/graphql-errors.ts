import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import type { ValidationError } from 'class-validator';
import { StorageUnavailableError, isStorageFault } from '../database/storage-fault';
import { AppError, type InvalidField, invalidFieldsOf } from '../errors';

/*
 * Where errors leave the GraphQL route: every code is mapped onto the contract's list, and nothing
 * internal (stack, SQL, paths) is sent outside development. Domain errors (errors.ts) arrive wrapped in
 * a GraphQLError whose extensions graphql-js copied from them; the plain HTTP routes map the same
 * errors in http-errors.ts.
 */

const passThroughCodes = new Set<string>([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'RATE_LIMITED',
]);

/**
 * graphql-js appends "Did you mean …?" to unknown fields, arguments, types and enum values, which maps the
 * schema for a prober; armor masks only some of them (and leaves "[Suggestion hidden]?"), so drop them all.
 */
function withoutSuggestions(message: string): string {
  return message.replace(/\s*(Did you mean [^?]*\?|\[Suggestion hidden\]\??)/g, '').trim();
}

/**
 * graphql-js quotes the whole rejected variable ("got invalid value { …, password: "…" }"): keep the path
 * and the reason, drop the value, which may hold a password.
 */
function withoutEchoedValue(message: string): { message: string; field?: string } {
  const match = /^Variable "(\$\w+)" got invalid value [\s\S]*?(?: at "([\w.[\]]+)")?; ([^;]*)$/.exec(
    message,
  );
  if (!match) return { message };
  const [, variable, at, reason] = match;
  const leaf = (at ?? '')
    .split('.')
    .pop()
    ?.replace(/\[\d+\]$/, '');
  return {
    message: `Variable "${variable}" got an invalid value${at ? ` at "${at}"` : ''}: ${reason}`,
    field: leaf || undefined,
  };
}

/**
 * graphql-js's refusals of an argument while executing (validation lets them through when a variable
 * with a default is given null where the argument may not be, or for a directive's argument): the
 * client's input, named by the argument. The value it quoted is left out, as for variables.
 */
const argumentRefusal =
  /^Argument "(\w+)" (?:of (?:required|non-null) type "[^"]+" (?:was not provided|must not be null|was provided the variable "\$\w+" which was not provided a runtime value)\.|has invalid value [\s\S]*)$/;

/** The argument a GraphQL error from graphql-js's argument coercion names, or null for any other error. */
export function refusedArgument(error: unknown): string | null {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (!(original instanceof GraphQLError) || original.originalError || original.extensions?.code) return null;
  return argumentRefusal.exec(original.message)?.[1] ?? null;
}

/** graphql-js's message, at execution, for an operation type the schema lacks (subscription). */
const unsupportedOperation = /^Schema is not configured to execute \w+ operation\.$/;

/**
 * The single place where errors leave the service: every code is mapped onto the contract's list,
 * and nothing internal (stack, SQL, paths) is sent outside development.
 */
export function formatError(
  formatted: GraphQLFormattedError,
  error: unknown,
  development: boolean,
): GraphQLFormattedError {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  // A rule's refusal: its code and details as they are, whatever path it took to get here.
  if (original instanceof AppError) {
    return {
      message: original.message,
      locations: formatted.locations,
      path: formatted.path,
      extensions: { ...original.extensions },
    };
  }
  const code = String(formatted.extensions?.code ?? '');
  const scrubbed = withoutEchoedValue(withoutSuggestions(formatted.message));
  const base = {
    message: scrubbed.message,
    locations: formatted.locations,
    path: formatted.path,
  };

  // class-validator failures from TypeGraphQL: name the field and the rule in the message.
  const validationErrors = (original as { extensions?: { validationErrors?: ValidationError[] } })?.extensions
    ?.validationErrors;
  if (code === 'BAD_USER_INPUT' && Array.isArray(validationErrors)) {
    const invalidFields = invalidFieldsOf(validationErrors);
    return {
      ...base,
      message: invalidFields.map((f) => f.message).join(' '),
      extensions: { code, invalidFields },
    };
  }
  if (code === 'BAD_USER_INPUT' && scrubbed.field) {
    const invalidFields: InvalidField[] = [{ field: scrubbed.field, rule: 'invalid', message: base.message }];
    return { ...base, extensions: { code, invalidFields } };
  }
  if (passThroughCodes.has(code)) {
    const { stacktrace: _stacktrace, exception: _exception, ...extensions } = formatted.extensions ?? {};
    return { ...base, extensions: { ...extensions, code } };
  }
  // Malformed documents, unknown fields, bad variables, armor limits: all are bad input from the client.
  if (
    code === 'GRAPHQL_PARSE_FAILED' ||
    code === 'GRAPHQL_VALIDATION_FAILED' ||
    code === 'BAD_REQUEST' ||
    code === 'OPERATION_RESOLUTION_FAILURE' ||
    code === 'PERSISTED_QUERY_NOT_SUPPORTED' ||
    code === 'PERSISTED_QUERY_NOT_FOUND'
  ) {
    return { ...base, extensions: { code: 'BAD_USER_INPUT', reason: code } };
  }
  // Says that nothing was saved (or could be read) and that a retry may work; no detail of the fault.
  if (original instanceof StorageUnavailableError) {
    return {
      ...base,
      message: original.message,
      extensions: { code: 'INTERNAL_SERVER_ERROR', reason: original.reason },
    };
  }
  if (isStorageFault(original)) {
    return {
      ...base,
      message: 'The service cannot read its database right now. Try again in a moment.',
      extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'STORAGE_UNAVAILABLE' },
    };
  }
  if (code === 'UNAUTHORIZED') return { ...base, extensions: { code: 'FORBIDDEN' } };
  const argument = refusedArgument(error);
  if (argument) {
    const message = `Argument "${argument}" has an invalid value.`;
    return {
      ...base,
      message,
      extensions: { code: 'BAD_USER_INPUT', invalidFields: [{ field: argument, rule: 'invalid', message }] },
    };
  }
  // Refusals without a code are the client's too: Apollo's own 4xx answers (e.g. a persisted-query hash
  // that does not match) and a subscription sent over HTTP (served on the WebSocket only).
  const httpStatus = Number(
    (error as { extensions?: { http?: { status?: number } } } | undefined)?.extensions?.http?.status,
  );
  if ((httpStatus >= 400 && httpStatus < 500) || unsupportedOperation.test(formatted.message)) {
    return { ...base, extensions: { code: 'BAD_USER_INPUT', reason: 'BAD_REQUEST' } };
  }
  return {
    message: development ? formatted.message : 'Internal server error.',
    locations: formatted.locations,
    path: formatted.path,
    extensions: development
      ? { ...formatted.extensions, code: 'INTERNAL_SERVER_ERROR' }
      : { code: 'INTERNAL_SERVER_ERROR' },
  };
}
