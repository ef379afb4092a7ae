import type { FieldOption } from '../../lib/components/Field.svelte';
import { t } from '../../lib/i18n/index.svelte';
import { session } from '../../lib/session.svelte';
import {
  categories,
  priorities,
  statuses,
  type Category,
  type PriorityValue,
  type Status,
} from './tickets.graphql';

/**
 * A status in words, for the person looking: WAITING means waiting for the reporter, so a USER (who only
 * sees their own tickets) reads "Waiting for your answer" and staff read "Waiting for reporter".
 * Every list, badge, filter and history line of the client takes status labels from here.
 */
export function statusLabel(status: string): string {
  if (status === 'WAITING' && session.user?.role === 'USER') return t('status.WAITING.reporter');
  const key = `status.${status}`;
  return statuses.includes(status as Status) ? t(key as `status.${Status}`) : status;
}

// The choices of the enum selects, labelled in the current language (call them where they render).
export const statusOptions = (): FieldOption<Status>[] =>
  statuses.map((value) => ({ value, label: statusLabel(value) }));

export const priorityOptions = (): FieldOption<PriorityValue>[] =>
  priorities.map((value) => ({ value, label: t(`priority.${value}`) }));

export const categoryOptions = (): FieldOption<Category>[] =>
  categories.map((value) => ({ value, label: t(`category.${value}`) }));
