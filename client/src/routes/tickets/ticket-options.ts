import type { FieldOption } from '../../lib/components/Field.svelte';
import { t } from '../../lib/i18n/index.svelte';
import {
  categories,
  priorities,
  statuses,
  type Category,
  type PriorityValue,
  type Status,
} from './tickets.graphql';

// The choices of the enum selects, labelled in the current language (call them where they render).
export const statusOptions = (): FieldOption<Status>[] =>
  statuses.map((value) => ({ value, label: t(`status.${value}`) }));

export const priorityOptions = (): FieldOption<PriorityValue>[] =>
  priorities.map((value) => ({ value, label: t(`priority.${value}`) }));

export const categoryOptions = (): FieldOption<Category>[] =>
  categories.map((value) => ({ value, label: t(`category.${value}`) }));
