import { t } from './i18n/index.svelte';

/** A size as people read it: 820 B, 14 KB, 2.4 MB (ko and Mo in French), with the locale's decimal sign. */
export function formatFileSize(bytes: number): string {
  if (bytes < 1024) return t('attachments.size.bytes', { n: bytes });
  if (bytes < 1024 * 1024) return t('attachments.size.kb', { n: bytes / 1024 });
  return t('attachments.size.mb', { n: bytes / (1024 * 1024) });
}
