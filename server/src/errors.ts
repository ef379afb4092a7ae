import type { ValidationError } from 'class-validator';

/** The error codes of the API contract (core.graphql header). */
export type ErrorCode =
  'UNAUTHENTICATED' | 'FORBIDDEN' | 'NOT_FOUND' | 'BAD_USER_INPUT' | 'RATE_LIMITED' | 'INTERNAL_SERVER_ERROR';

/** Why an input was refused; the web client translates by rule and field. */
export type InputRule =
  | 'required'
  | 'length'
  | 'format'
  | 'email'
  | 'range'
  | 'unique'
  | 'commonPassword'
  | 'weakPassword'
  | 'wrongPassword'
  | 'archived'
  | 'notAssignable'
  | 'noChange'
  | 'notAllowed'
  /** The webhook is paused: resume it first. */
  | 'paused'
  /** Nothing matches yet (a webhook with no job to redeliver). */
  | 'nothingToDeliver'
  /** A per-person cap is reached (e.g. API tokens): remove one first. */
  | 'limitReached'
  /** A webhook delivery is not retried from the outbox: redeliverWebhook sends it again in order. */
  | 'useRedeliver'
  | 'invalid';

export interface InvalidField {
  field: string;
  rule: InputRule;
  message: string;
}

/**
 * A refusal by the rules, with the contract's code and details (invalidFields, retryAfterSeconds). It
 * knows nothing of GraphQL or HTTP: formatError (http/graphql-errors.ts) and httpErrorOf
 * (http/http-errors.ts) each map it once. `extensions` is the code and details as one object, the shape
 * graphql-js copies onto the GraphQLError that wraps it.
 */
export class AppError extends Error {
  readonly extensions: Readonly<Record<string, unknown>> & { code: ErrorCode };

  constructor(
    message: string,
    readonly code: ErrorCode,
    details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
    this.extensions = { ...details, code };
  }
}

export class UnauthenticatedError extends AppError {
  constructor(message = 'You must be signed in to do this.') {
    super(message, 'UNAUTHENTICATED');
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'Your role does not allow this.') {
    super(message, 'FORBIDDEN');
  }
}

export class NotFoundError extends AppError {
  constructor(what: string, id: string | number) {
    super(`${what} ${id} not found.`, 'NOT_FOUND');
  }
}

export class RateLimitedError extends AppError {
  constructor(message: string, retryAfterSeconds: number) {
    super(message, 'RATE_LIMITED', { retryAfterSeconds: Math.max(1, Math.ceil(retryAfterSeconds)) });
  }
}

export class BadInputError extends AppError {
  constructor(invalidFields: InvalidField[]) {
    super(invalidFields.map((f) => f.message).join(' '), 'BAD_USER_INPUT', { invalidFields });
  }

  static field(field: string, rule: InputRule, message: string): BadInputError {
    return new BadInputError([{ field, rule, message }]);
  }
}

const constraintRules: Record<string, InputRule> = {
  isLength: 'length',
  maxLength: 'length',
  minLength: 'length',
  isNotEmpty: 'required',
  notBlank: 'required',
  visibleLength: 'length',
  isDefined: 'required',
  matches: 'format',
  isEmail: 'email',
  min: 'range',
  max: 'range',
  isInt: 'range',
  passwordBytes: 'length',
  wellFormed: 'format',
};

/** Flattens class-validator errors (nested inputs included) into the contract's invalidFields. */
export function invalidFieldsOf(errors: ValidationError[]): InvalidField[] {
  const fields: InvalidField[] = [];
  const visit = (error: ValidationError) => {
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      fields.push({ field: error.property, rule: constraintRules[constraint] ?? 'invalid', message });
    }
    error.children?.forEach(visit);
  };
  errors.forEach(visit);
  return fields;
}
