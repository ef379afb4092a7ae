import type { CombinedError } from '@urql/svelte';
import { hasKey, i18n, t } from './i18n/index.svelte';

interface InvalidField {
  field: string;
  rule: string;
  message: string;
}

export type ApiError = CombinedError | Error | null | undefined;

function codeOf(error: ApiError): string | undefined {
  if (!error || !('graphQLErrors' in error)) return undefined;
  return error.graphQLErrors[0]?.extensions?.code as string | undefined;
}

export function isNotFound(error: ApiError): boolean {
  return codeOf(error) === 'NOT_FOUND';
}

export function isForbidden(error: ApiError): boolean {
  return codeOf(error) === 'FORBIDDEN';
}

function invalidFields(error: ApiError): InvalidField[] {
  if (!error || !('graphQLErrors' in error)) return [];
  return error.graphQLErrors.flatMap(
    (e) => (e.extensions?.invalidFields as InvalidField[] | undefined) ?? [],
  );
}

/** A new password's field: its refusals read the same, whatever the form calls it. */
const NEW_PASSWORD_FIELDS = ['password', 'newPassword'];

/**
 * A validation message in the user's language: field+rule, then rule alone, then the server's English.
 * In English the server's text is used first, except for password fields: it names the input
 * ("newPassword is one of the most common passwords"), so those are translated by rule like any language.
 */
function translateInvalid({ field, rule, message }: InvalidField): string {
  const passwordField = /password$/i.test(field);
  if (i18n.lang === 'en' && message && !passwordField) return message;
  const keys = [
    `invalid.${field}.${rule}`,
    ...(NEW_PASSWORD_FIELDS.includes(field) ? [`invalid.password.${rule}`] : []),
    `invalid.${rule}`,
  ];
  const key = keys.find(hasKey);
  return key ? t(key) : message;
}

/** Messages keyed by input field name, to show next to the field they concern. */
export function fieldErrors(error: ApiError): Record<string, string> {
  const byField: Record<string, string> = {};
  for (const invalid of invalidFields(error)) byField[invalid.field] ??= translateInvalid(invalid);
  return byField;
}

/**
 * An error in plain words for a banner. Field errors are left to the fields (pass the ones shown),
 * so the banner only speaks of what no field displays.
 */
export function errorText(error: ApiError, shownFields: string[] = []): string {
  if (!error) return '';
  if ('networkError' in error && error.networkError) return t('error.network');
  const code = codeOf(error);
  const invalid = invalidFields(error);
  if (code === 'BAD_USER_INPUT' && invalid.length > 0) {
    const unshown = invalid.filter((f) => !shownFields.includes(f.field));
    return unshown.length ? unshown.map(translateInvalid).join(' ') : '';
  }
  if (code === 'RATE_LIMITED') {
    const first = 'graphQLErrors' in error ? error.graphQLErrors[0] : undefined;
    const seconds = Number(first?.extensions?.retryAfterSeconds ?? 60);
    return t('error.RATE_LIMITED', { seconds });
  }
  // Refused for overload (503): nothing is broken, and a retry in a moment works.
  if ('graphQLErrors' in error && error.graphQLErrors[0]?.extensions?.reason === 'OVERLOADED') {
    return t('error.busy');
  }
  const key = `error.${code}`;
  if (code && hasKey(key)) return t(key);
  return t('error.unknown');
}
