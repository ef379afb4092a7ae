import { cleanFilename, contentDisposition, contentTypeOf, downloadHeadersOf } from './attachment-content';

const bytes = (...values: (number | string)[]) =>
  Buffer.concat(
    values.map((value) => (typeof value === 'string' ? Buffer.from(value) : Buffer.from([value]))),
  );

test.each<[string, Buffer, string]>([
  ['PNG', bytes(0x89, 'PNG\r\n', 0x1a, '\n', 'rest'), 'image/png'],
  ['JPEG', bytes(0xff, 0xd8, 0xff, 0xe0, 'JFIF'), 'image/jpeg'],
  ['GIF', bytes('GIF89a', 1, 0), 'image/gif'],
  ['WebP', bytes('RIFF', 0, 0, 0, 0, 'WEBPVP8 '), 'image/webp'],
  ['a RIFF that is not WebP', bytes('RIFF', 0, 0, 0, 0, 'WAVEfmt '), 'application/octet-stream'],
  ['PDF', bytes('%PDF-1.7\n'), 'application/pdf'],
  ['text', bytes('Printer on floor 3\r\n\tjams\n'), 'text/plain'],
  ['HTML', bytes('\uFEFF  <!DOCTYPE html><p>hi'), 'text/html'],
  ['HTML after words', bytes('hello <script>alert(1)</script>'), 'text/html'],
  ['SVG', bytes('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'), 'image/svg+xml'],
  ['bytes with NUL', bytes('abc', 0, 'def'), 'application/octet-stream'],
  ['invalid UTF-8', bytes(0xc3, 0x28), 'application/octet-stream'],
])('%s is recognised by its bytes', (_name, content, type) => {
  expect(contentTypeOf(content)).toBe(type);
});

test('a filename keeps no folder, control nor formatting character, and at most 200 characters', () => {
  expect(cleanFilename('../../etc/passwd')).toBe('passwd');
  expect(cleanFilename('C:\\fakepath\\shot.png')).toBe('shot.png');
  expect(cleanFilename('a\r\nb\u0000c\u202Egnp.exe')).toBe('abcgnp.exe');
  expect(cleanFilename('..')).toBe('file');
  expect(cleanFilename(undefined)).toBe('file');
  expect([...cleanFilename('é'.repeat(300))]).toHaveLength(200);
});

test('Content-Disposition: an ASCII fallback and the UTF-8 name, neither able to break the header', () => {
  expect(contentDisposition('inline', 'a "b".png')).toBe(
    `inline; filename="a _b_.png"; filename*=UTF-8''a%20%22b%22.png`,
  );
  expect(contentDisposition('attachment', "l'été (1).txt")).toBe(
    `attachment; filename="l'_t_ (1).txt"; filename*=UTF-8''l%27%C3%A9t%C3%A9%20%281%29.txt`,
  );
});

test('only images are inline; markup and unknown types are octet-stream downloads', () => {
  const headers = (contentType: string) => downloadHeadersOf({ filename: 'f', contentType, size: 3 });
  expect(headers('image/webp')).toMatchObject({
    'Content-Type': 'image/webp',
    'Content-Disposition': expect.stringMatching(/^inline;/),
  });
  expect(headers('application/pdf')).toMatchObject({
    'Content-Type': 'application/pdf',
    'Content-Disposition': expect.stringMatching(/^attachment;/),
  });
  for (const type of ['image/svg+xml', 'text/html', 'application/octet-stream']) {
    expect(headers(type)).toMatchObject({
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': expect.stringMatching(/^attachment;/),
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; sandbox",
    });
  }
});
