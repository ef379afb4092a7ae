/** Text as HTML, safe in element content and in quoted attributes. */
export const escapeHtml = (value: string): string =>
  value.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );

/** The HTML part of every email: one simple document in the reader's language; body is already HTML. */
export function htmlDocument(lang: string, title: string, body: string[]): string {
  return [
    `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:sans-serif;line-height:1.4">',
    ...body,
    '</body></html>',
  ].join('\n');
}
