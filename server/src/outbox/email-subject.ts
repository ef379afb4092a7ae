/**
 * Control and format characters (line breaks, NEL, the line and paragraph separators, zero-width and
 * bidi controls such as U+202E): a title holding them could make a subject read as something else.
 */
const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]+/gu;

/**
 * A subject as the reader should see it, whoever wrote it: one line, no invisible or direction-changing
 * characters, and no RFC 2047 encoded-word opener (`=?`), so that a title cannot smuggle in text that a
 * mail program would decode into something else.
 */
export function safeSubject(text: string): string {
  return text.replace(INVISIBLE, ' ').replace(/=\?/g, '= ?').replace(/ {2,}/g, ' ').trim();
}
