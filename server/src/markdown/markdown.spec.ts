import { Parser } from 'htmlparser2';
import { MAX_REFERENCES_PER_TEXT, renderMarkdown, ticketReferences } from './markdown';

/** What the HTML holds, as a browser's parser reads it. */
interface ParsedHtml {
  tags: { name: string; attributes: Record<string, string> }[];
  text: string;
  /** Comments, CDATA, processing instructions: none may appear. */
  other: string[];
}

function parseHtml(html: string): ParsedHtml {
  const parsed: ParsedHtml = { tags: [], text: '', other: [] };
  const parser = new Parser(
    {
      onopentag: (name, attributes) => parsed.tags.push({ name, attributes }),
      ontext: (text) => (parsed.text += text),
      oncomment: (comment) => parsed.other.push(`comment ${comment}`),
      oncdatastart: () => parsed.other.push('cdata'),
      onprocessinginstruction: (name) => parsed.other.push(`instruction ${name}`),
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.write(html);
  parser.end();
  return parsed;
}

const ALLOWED_TAGS = new Set(
  'p br strong em code pre blockquote ul ol li a h1 h2 h3 h4 h5 h6 hr table thead tbody tr th td del s'.split(
    ' ',
  ),
);
/** The attributes each tag may carry, and what their values may be. */
const ALLOWED_ATTRIBUTES: Record<string, Record<string, RegExp>> = {
  a: {
    href: /^(?:(?:https?:\/\/|mailto:)[^\s]*|\/tickets\/[1-9]\d*)$/i,
    rel: /^nofollow noopener$/,
    title: /^[^]*$/,
  },
  code: { class: /^language-\S*$/ },
  ol: { start: /^\d+$/ },
  th: { style: /^text-align:(?:left|center|right)$/ },
  td: { style: /^text-align:(?:left|center|right)$/ },
};

/** Every way the HTML could run script, load something or leave the allow-list, as failures. */
function unsafeParts(html: string): string[] {
  const parsed = parseHtml(html);
  const problems = [...parsed.other];
  for (const tag of parsed.tags) {
    if (!ALLOWED_TAGS.has(tag.name)) problems.push(`tag <${tag.name}>`);
    for (const [name, value] of Object.entries(tag.attributes)) {
      if (/^on/i.test(name)) problems.push(`handler ${name} on <${tag.name}>`);
      const rule = ALLOWED_ATTRIBUTES[tag.name]?.[name];
      if (!rule || !rule.test(value)) problems.push(`attribute ${name}="${value}" on <${tag.name}>`);
    }
  }
  return problems;
}

const none = new Set<number>();

describe('hostile markdown renders to safe HTML', () => {
  const deepQuotes = `${'> '.repeat(5_000)}deep`;
  const deepList = Array.from({ length: 2_000 }, (_, depth) => `${'  '.repeat(depth)}- item`).join('\n');
  const hostile: [string, string][] = [
    ['script tag', '<script>alert(1)</script>'],
    ['script tag inside a paragraph', 'hello <script src="https://evil.example/x.js"></script> world'],
    ['img onerror', '<img src=x onerror=alert(1)>'],
    ['raw anchor with javascript:', '<a href="javascript:alert(1)">click</a>'],
    ['javascript: link', '[click](javascript:alert(1))'],
    ['javascript: in capitals', '[click](JaVaScRiPt:alert(1))'],
    ['javascript: with a hex entity', '[click](jav&#x61;script:alert(1))'],
    ['javascript: with a decimal entity', '[click](&#106;avascript:alert(1))'],
    ['javascript: with a named colon entity', '[click](javascript&colon;alert(1))'],
    ['javascript: with a tab entity', '[click](java&#x09;script:alert(1))'],
    ['javascript: with a newline entity', '[click](java&#10;script:alert(1))'],
    ['javascript: split by a newline', '[click](java\nscript:alert(1))'],
    ['javascript: after spaces', '[click](   javascript:alert(1))'],
    ['javascript: in angle brackets', '[click](<javascript:alert(1)>)'],
    ['javascript: percent-encoded', '[click](javascript%3Aalert(1))'],
    ['javascript: with a leading control character', '[click](\u0001javascript:alert(1))'],
    ['autolink to javascript:', '<javascript:alert(1)>'],
    ['reference link to javascript:', '[click][evil]\n\n[evil]: javascript:alert(1)'],
    ['reference link to javascript: with a title', '[click][evil]\n\n[evil]: javascript:alert(1) "t"'],
    ['vbscript: link', '[click](vbscript:msgbox(1))'],
    ['data: link', '[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['data: image', '![x](data:image/svg+xml,<svg onload=alert(1)>)'],
    ['file: link', '[passwd](file:///etc/passwd)'],
    ['protocol-relative link', '[click](//evil.example/x)'],
    ['relative link', '[click](/graphql?query=mutation)'],
    ['fullwidth javascript', '[click](ｊａｖａｓｃｒｉｐｔ:alert(1))'],
    ['right-to-left override', '[click](\u202ejavascript:alert(1))'],
    ['inline SVG', '<svg><script>alert(1)</script><circle onload="alert(1)"/></svg>'],
    ['iframe', '<iframe src="https://evil.example"></iframe>'],
    ['style tag', '<style>body { display: none }</style>'],
    ['form', '<form action="https://evil.example"><input name="password"></form>'],
    ['details ontoggle', '<details open ontoggle=alert(1)>x</details>'],
    ['MathML href', '<math><mi xlink:href="javascript:alert(1)">x</mi></math>'],
    ['HTML comment', '<!-- <script>alert(1)</script> -->'],
    ['CDATA', '<![CDATA[<script>alert(1)</script>]]>'],
    ['title breaking out of its quotes', '[x](https://ok.example "a\\" onmouseover=\\"alert(1)")'],
    ['title in single quotes', '[x](https://ok.example \'a" onmouseover="alert(1)\')'],
    ['quotes in a URL', '[x](https://ok.example/"onmouseover="alert(1))'],
    ['quotes in a bare URL', 'https://ok.example/"onmouseover="alert(1)"'],
    ['tag in a bare URL', 'https://ok.example/<script>alert(1)</script>'],
    ['remote image (tracking pixel)', '![pixel](https://tracker.example/p.gif)'],
    ['image with onerror in its alt text', '![" onerror="alert(1)](https://tracker.example/p.gif)'],
    ['image inside a link', '[![pixel](https://tracker.example/p.gif)](https://ok.example)'],
    ['fence info string', '```"><script>alert(1)</script>\ncode\n```'],
    ['code span holding HTML', '`<script>alert(1)</script>`'],
    ['HTML entities', '&lt;script&gt;alert(1)&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;'],
    [
      'table cell with HTML',
      '| a | b |\n|---|--:|\n| <img src=x onerror=alert(1)> | [x](javascript:alert(1)) |',
    ],
    ['ticket reference in a hostile link', '[#42](javascript:alert(1)) #42'],
    ['deeply nested quotes', deepQuotes],
    ['deeply nested lists', deepList],
    ['very long input', `${'**a** [b](https://ok.example) <i>c</i> #1 '.repeat(500)}${'['.repeat(5_000)}`],
  ];

  test.each(hostile)('%s', (_, input) => {
    const html = renderMarkdown(input, new Set([1, 42]));
    expect(unsafeParts(html)).toEqual([]);
  });

  test('there are at least 20 hostile inputs', () => {
    expect(hostile.length).toBeGreaterThanOrEqual(20);
  });

  test.each([
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '<iframe src="evil.html"></iframe>',
    '<a href="javascript:alert(1)">click</a>',
  ])('raw HTML shows as its text: %s', (input) => {
    const html = renderMarkdown(input, none);
    expect(parseHtml(html).text).toContain(input);
    expect(html).toBe(
      `<p>${input.replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')}</p>\n`,
    );
  });

  test('a link that is not http, https or mailto is no link: its text stays', () => {
    expect(renderMarkdown('[click](javascript:alert(1))', none)).toBe(
      '<p>[click](javascript:alert(1))</p>\n',
    );
    expect(renderMarkdown('<javascript:alert(1)>', none)).toBe('<p>&lt;javascript:alert(1)&gt;</p>\n');
  });

  test('the check itself finds what it must refuse', () => {
    expect(
      unsafeParts('<p><script>x</script><a href="javascript:x" onclick="y">z</a><!-- c --></p>'),
    ).toEqual([
      'comment  c ',
      'tag <script>',
      'attribute href="javascript:x" on <a>',
      'handler onclick on <a>',
      'attribute onclick="y" on <a>',
    ]);
    expect(unsafeParts('<a href="/graphql">x</a><img src="https://x">')).toEqual([
      'attribute href="/graphql" on <a>',
      'tag <img>',
      'attribute src="https://x" on <img>',
    ]);
  });

  test('very long and deeply nested input renders fast', () => {
    const started = Date.now();
    renderMarkdown(`${'> '.repeat(10_000)}x`, none);
    renderMarkdown(`${'*a '.repeat(7_000)}`, none);
    renderMarkdown(`${'[a'.repeat(7_000)}`, none);
    renderMarkdown(`${'#1 '.repeat(7_000)}`, none);
    expect(Date.now() - started).toBeLessThan(2_000);
  });
});

describe('markdown', () => {
  test('renders emphasis, code, lists, headings, tables and strikethrough', () => {
    expect(renderMarkdown('**bold** _em_ `code` ~~gone~~', none)).toBe(
      '<p><strong>bold</strong> <em>em</em> <code>code</code> <s>gone</s></p>\n',
    );
    expect(renderMarkdown('# Title\n\n- one\n- two', none)).toBe(
      '<h1>Title</h1>\n<ul>\n<li>one</li>\n<li>two</li>\n</ul>\n',
    );
    expect(renderMarkdown('| a |\n|---|\n| b |', none)).toContain('<td>b</td>');
  });

  test('a single newline is a line break, as typed in a text area', () => {
    expect(renderMarkdown('one\ntwo', none)).toBe('<p>one<br>\ntwo</p>\n');
  });

  test('links get rel="nofollow noopener"; bare URLs and email addresses become links', () => {
    expect(renderMarkdown('[docs](https://docs.example/a?b=1 "Docs")', none)).toBe(
      '<p><a href="https://docs.example/a?b=1" title="Docs" rel="nofollow noopener">docs</a></p>\n',
    );
    expect(renderMarkdown('see https://docs.example/page.', none)).toBe(
      '<p>see <a href="https://docs.example/page" rel="nofollow noopener">https://docs.example/page</a>.</p>\n',
    );
    expect(renderMarkdown('write to help@example.com', none)).toBe(
      '<p>write to <a href="mailto:help@example.com" rel="nofollow noopener">help@example.com</a></p>\n',
    );
    expect(renderMarkdown('<mailto:help@example.com>', none)).toContain('href="mailto:help@example.com"');
  });

  test('reference-style links to allowed schemes work', () => {
    expect(renderMarkdown('[docs][d]\n\n[d]: https://docs.example', none)).toBe(
      '<p><a href="https://docs.example" rel="nofollow noopener">docs</a></p>\n',
    );
  });

  test('an image is a link to it, with its alt text; inside a link, its alt text only', () => {
    expect(renderMarkdown('![the "chart"](https://img.example/c.png)', none)).toBe(
      '<p><a href="https://img.example/c.png" rel="nofollow noopener">the &quot;chart&quot;</a></p>\n',
    );
    expect(renderMarkdown('![](https://img.example/c.png)', none)).toBe(
      '<p><a href="https://img.example/c.png" rel="nofollow noopener">https://img.example/c.png</a></p>\n',
    );
    expect(renderMarkdown('[![chart](https://img.example/c.png)](https://ok.example)', none)).toBe(
      '<p><a href="https://ok.example" rel="nofollow noopener">chart</a></p>\n',
    );
  });
});

describe('ticket references', () => {
  const link = (id: number) => `<a href="/tickets/${id}" rel="nofollow noopener">#${id}</a>`;

  test('#N links to ticket N when the reader sees it, and stays text when not', () => {
    expect(renderMarkdown('Like #42 and #7.', new Set([42]))).toBe(`<p>Like ${link(42)} and #7.</p>\n`);
    expect(renderMarkdown('Like #42 and #7.', none)).toBe('<p>Like #42 and #7.</p>\n');
  });

  test('one text read by readers who see different tickets: each gets their own links', () => {
    const text = 'See #7 and #8, and [#7](https://example.com/#7) written as a link.';
    const both = renderMarkdown(text, new Set([7, 8]));
    expect(renderMarkdown(text, new Set([8]))).toBe(
      both.replace('<a href="/tickets/7" rel="nofollow noopener">#7</a>', '#7'),
    );
    expect(renderMarkdown(text, new Set())).not.toContain('/tickets/');
    expect(renderMarkdown(text, new Set([7, 8]))).toBe(both);
    // The link the author wrote stays theirs, whoever reads it.
    expect(renderMarkdown(text, new Set())).toContain('href="https://example.com/#7"');
  });

  test('#N at the start of a line is a reference, "# N" a heading', () => {
    expect(renderMarkdown('#42', new Set([42]))).toBe(`<p>${link(42)}</p>\n`);
    expect(renderMarkdown('# 42', new Set([42]))).toBe('<h1>42</h1>\n');
    expect(renderMarkdown('## About #42', new Set([42]))).toBe(`<h2>About ${link(42)}</h2>\n`);
  });

  test('not in code, not in links, not glued to a word, not escaped, not with a leading zero', () => {
    const visible = new Set([42]);
    expect(renderMarkdown('`#42`', visible)).toBe('<p><code>#42</code></p>\n');
    expect(renderMarkdown('```\n#42\n```', visible)).toBe('<pre><code>#42\n</code></pre>\n');
    expect(renderMarkdown('    #42', visible)).toBe('<pre><code>#42\n</code></pre>\n');
    expect(renderMarkdown('[see #42](https://ok.example)', visible)).toBe(
      '<p><a href="https://ok.example" rel="nofollow noopener">see #42</a></p>\n',
    );
    expect(renderMarkdown('https://ok.example/#42', visible)).not.toContain('/tickets/');
    expect(renderMarkdown('abc#42 #42abc #42_ é#42 \\#42 #042', visible)).toBe(
      '<p>abc#42 #42abc #42_ é#42 #42 #042</p>\n',
    );
  });

  test('next to punctuation and markup, it is a reference', () => {
    const visible = new Set([1, 2, 3]);
    expect(renderMarkdown('(#1), **#2**, #3.', visible)).toBe(
      `<p>(${link(1)}), <strong>${link(2)}</strong>, ${link(3)}.</p>\n`,
    );
  });

  test('ticketReferences lists the ids as render links them, once each', () => {
    expect(ticketReferences('#3 and #1, `#2`, [#4](https://ok.example), abc#5, #3 again')).toEqual([3, 1]);
    expect(ticketReferences('no references # here #0 #1234567890')).toEqual([]);
  });

  test(`at most ${MAX_REFERENCES_PER_TEXT} distinct references per text are looked up and linked`, () => {
    const ids = Array.from({ length: MAX_REFERENCES_PER_TEXT + 5 }, (_, index) => index + 1);
    const text = ids.map((id) => `#${id}`).join(' ');
    expect(ticketReferences(text)).toEqual(ids.slice(0, MAX_REFERENCES_PER_TEXT));
    const html = renderMarkdown(text, new Set(ids));
    expect(html).toContain(link(MAX_REFERENCES_PER_TEXT));
    expect(html).not.toContain(link(MAX_REFERENCES_PER_TEXT + 1));
  });
});
