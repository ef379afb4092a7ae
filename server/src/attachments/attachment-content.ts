/**
 * What a file is, from its bytes, never from its name or the type the browser sent: the signatures of
 * the types served as themselves (images, PDF), then text. Anything else is application/octet-stream,
 * which is only ever served as a download, so an unrecognised format is harmless.
 */
const SIGNATURES: readonly { type: string; bytes: readonly (number | null)[] }[] = [
  { type: 'image/png', bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  { type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff] },
  { type: 'image/gif', bytes: [...Buffer.from('GIF87a')] },
  { type: 'image/gif', bytes: [...Buffer.from('GIF89a')] },
  // RIFF, four bytes of length, WEBP.
  { type: 'image/webp', bytes: [...Buffer.from('RIFF'), null, null, null, null, ...Buffer.from('WEBP')] },
  { type: 'application/pdf', bytes: [...Buffer.from('%PDF-')] },
];

function startsWith(content: Buffer, bytes: readonly (number | null)[]): boolean {
  return (
    content.length >= bytes.length && bytes.every((byte, index) => byte === null || content[index] === byte)
  );
}

/** UTF-8 text without control characters (NUL included) other than tab, line feed, form feed, carriage return. */
function textOf(content: Buffer): string | null {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return null;
  }
  return /(?![\t\n\f\r])\p{Cc}/u.test(text) ? null : text;
}

/** Markup a browser would render (and run) if it were served as a page: only ever a download. */
function markupTypeOf(text: string): string | null {
  const head = text
    .slice(0, 4096)
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (/<svg[\s>]/.test(head)) return 'image/svg+xml';
  if (head.startsWith('<') || /<(html|script|body|iframe|!doctype)[\s>]/.test(head)) return 'text/html';
  return null;
}

export function contentTypeOf(content: Buffer): string {
  const signed = SIGNATURES.find((signature) => startsWith(content, signature.bytes));
  if (signed) return signed.type;
  const text = textOf(content);
  if (text === null) return 'application/octet-stream';
  return markupTypeOf(text) ?? 'text/plain';
}

const MAX_FILENAME_LENGTH = 200;

/**
 * The name the browser sent, as stored and shown: no folders, no control or invisible formatting
 * characters (a right-to-left override could make "gnp.exe" read as "exe.png"), at most 200 characters.
 */
export function cleanFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const visible = base.replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '').trim();
  const name = [...visible].slice(0, MAX_FILENAME_LENGTH).join('').trim();
  return name === '' || name === '.' || name === '..' ? 'file' : name;
}

/** Served as their own type; anything else (SVG, HTML, unknown) as application/octet-stream. */
const SERVED_AS_ITSELF = new Set([
  'image/png',
  'image/jpeg',
  'image/gif',
  'image/webp',
  'application/pdf',
  'text/plain',
]);

/** The headers of a file's answer: its type, how the browser should take it, and no sniffing nor scripts. */
export function downloadHeadersOf(file: {
  filename: string;
  contentType: string;
  size: number;
}): Record<string, string> {
  const servedAs = SERVED_AS_ITSELF.has(file.contentType) ? file.contentType : 'application/octet-stream';
  const inline = file.contentType.startsWith('image/') && servedAs !== 'application/octet-stream';
  return {
    'Content-Type': servedAs === 'text/plain' ? 'text/plain; charset=utf-8' : servedAs,
    'Content-Length': String(file.size),
    'Content-Disposition': contentDisposition(inline ? 'inline' : 'attachment', file.filename),
    'X-Content-Type-Options': 'nosniff',
    // Even opened directly, the file is a sandboxed document that may load and run nothing.
    'Content-Security-Policy': "default-src 'none'; sandbox",
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}

/** RFC 6266: an ASCII fallback in quotes, and the real name percent-encoded (RFC 5987), so no name breaks the header. */
export function contentDisposition(kind: 'inline' | 'attachment', filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  const encoded = encodeURIComponent(filename).replace(
    /['()*]/g,
    (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `${kind}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}
