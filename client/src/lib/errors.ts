import type { CombinedError } from '@urql/svelte';
import { hasKey, t } from './i18n/index.svelte';

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
 * A validation message in the user's language, English included: `invalid.<field>.<rule>`, then
 * `invalid.<rule>`; the server's own text only for a rule the client does not know (it is English and
 * names the API's inputs). client/scripts/check-invalid-messages.mjs checks that every rule the server
 * can answer has a message in each language.
 */
export function invalidMessage(field: string, rule: string, serverText = ''): string {
  const keys = [
    `invalid.${field}.${rule}`,
    ...(NEW_PASSWORD_FIELDS.includes(field) ? [`invalid.password.${rule}`] : []),
    `invalid.${rule}`,
  ];
  const key = keys.find(hasKey);
  return key ? t(key) : serverText || t('invalid.invalid');
}

function translateInvalid({ field, rule, message }: InvalidField): string {
  return invalidMessage(field, rule, message);
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
