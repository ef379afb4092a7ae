import MarkdownIt from 'markdown-it';

/*
 * Ticket descriptions and comments, rendered like GitHub's bodyHTML: safe to insert as is. Raw HTML is
 * off (it shows as text), links are http, https and mailto only, remote images are links, and `#42`
 * links to ticket 42 only for a reader who may see it, so the HTML is made per reader at read time.
 */

/** Where the client shows a ticket (client/src/lib/router.svelte.ts). */
export function ticketPath(id: number): string {
  return `/tickets/${id}`;
}

/** Distinct `#N` references looked up per text: a long list of numbers is not a query per hundred ids. */
export const MAX_REFERENCES_PER_TEXT = 100;

const ALLOWED_LINK = /^(?:https?:\/\/|mailto:)/i;
/** `#N` with N from 1 to 999 999 999 (no leading zero), not glued to a word on either side. */
const TICKET_REFERENCE = /#([1-9]\d{0,8})(?![\p{L}\p{N}_])/gu;
const WORD_CHARACTER = /[\p{L}\p{N}_&]$/u;

type Token = MarkdownIt.Token;

// markdown-it keeps its own link reference definitions in env.references: these names stay clear of it.
interface ParseEnv extends MarkdownIt.Env {
  ticketReferences: Set<number>;
}

const markdown = new MarkdownIt('default', { html: false, linkify: true, typographer: false, breaks: true });

// validateLink gets the destination decoded (entities, backslashes) and normalized, as it will be written.
markdown.validateLink = (url) => ALLOWED_LINK.test(url);

markdown.core.ruler.after('linkify', 'ticket_references', (state) => {
  const env = state.env as ParseEnv;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    const children: Token[] = [];
    let linkDepth = 0;
    for (const token of block.children) {
      if (token.type === 'link_open') linkDepth += 1;
      if (token.type === 'link_close') linkDepth -= 1;
      // Marked here, in the one pass over the run, so rendering an image costs no scan of its run.
      if (token.type === 'image' && linkDepth > 0)
        token.meta = { ...(token.meta as object), insideLink: true };
      if (token.type !== 'text' || linkDepth > 0) {
        children.push(token);
        continue;
      }
      children.push(...splitReferences(token, children.at(-1), env, state.Token));
    }
    block.children = children;
  }
});

/** The text token cut around its `#N`, each one a link the renderer writes only for a reader who may see N. */
function splitReferences(
  token: Token,
  previous: Token | undefined,
  env: ParseEnv,
  TokenClass: MarkdownIt.StateCore['Token'],
): Token[] {
  const text = token.content;
  const pieces: Token[] = [];
  let start = 0;
  const textToken = (content: string) => {
    const piece = new TokenClass('text', '', 0);
    piece.content = content;
    return piece;
  };
  for (const match of text.matchAll(TICKET_REFERENCE)) {
    const before =
      match.index > 0
        ? text.slice(0, match.index)
        : previous && (previous.type === 'text' || previous.type === 'text_special')
          ? previous.content
          : '';
    if (WORD_CHARACTER.test(before)) continue;
    const id = Number(match[1]);
    if (!env.ticketReferences.has(id)) {
      if (env.ticketReferences.size >= MAX_REFERENCES_PER_TEXT) continue;
      env.ticketReferences.add(id);
    }
    if (match.index > start) pieces.push(textToken(text.slice(start, match.index)));
    const open = new TokenClass('link_open', 'a', 1);
    open.attrSet('href', ticketPath(id));
    const close = new TokenClass('link_close', 'a', -1);
    pieces.push(open, textToken(match[0]), close);
    start = match.index + match[0].length;
  }
  if (start === 0) return [token];
  if (start < text.length) pieces.push(textToken(text.slice(start)));
  return pieces;
}

markdown.renderer.rules.link_open = (tokens, index, options, env, self) => {
  tokens[index].attrSet('rel', 'nofollow noopener');
  return self.renderToken(tokens, index, options);
};

// A remote image would load from the reader's browser (their address, a tracking pixel): it is a link.
markdown.renderer.rules.image = (tokens, index, options, env, self) => {
  const token = tokens[index];
  const src = String(token.attrGet('src') ?? '');
  const alt = self.renderInlineAsText(token.children ?? [], options, env);
  const label = markdown.utils.escapeHtml(alt || src);
  return (token.meta as { insideLink?: boolean } | null)?.insideLink
    ? label
    : `<a href="${markdown.utils.escapeHtml(src)}" rel="nofollow noopener">${label}</a>`;
};

/**
 * A `#N` link as the renderer writes it. Nothing a user writes can give the same tag: raw HTML is
 * escaped, and every other link (markdown, bare URL, image) has an absolute http, https or mailto href.
 */
const REFERENCE_LINK = /<a href="\/tickets\/([1-9]\d{0,8})" rel="nofollow noopener">(#\1)<\/a>/g;

/** A text parsed once: the tickets it references, then its HTML for a reader who sees some of them. */
export interface ParsedMarkdown {
  references: number[];
  render(visibleTicketIds: ReadonlySet<number>): string;
}

interface Rendered {
  /** Every `#N` linked: the reader's view unlinks those they may not see. */
  html: string;
  references: number[];
}

/**
 * Texts already rendered, most recently used last. A page reads the same descriptions again and again,
 * and a hostile text costs up to a few hundred ms to parse (20,000 characters of list items): parsed once
 * per process, a page of them is not a CPU-bound request each time. Bounded by characters held.
 */
const rendered = new Map<string, Rendered>();
const CACHE_MAX_CHARACTERS = 8_000_000;
let cachedCharacters = 0;

function renderedOf(text: string): Rendered {
  const cached = rendered.get(text);
  if (cached) {
    rendered.delete(text);
    rendered.set(text, cached);
    return cached;
  }
  const env: ParseEnv = { ticketReferences: new Set() };
  const html = markdown.render(text, env);
  const entry: Rendered = { html, references: [...env.ticketReferences] };
  const size = text.length + html.length;
  if (size <= CACHE_MAX_CHARACTERS / 8) {
    rendered.set(text, entry);
    cachedCharacters += size;
    for (const [oldest, value] of rendered) {
      if (cachedCharacters <= CACHE_MAX_CHARACTERS) break;
      rendered.delete(oldest);
      cachedCharacters -= oldest.length + value.html.length;
    }
  }
  return entry;
}

export function parseMarkdown(text: string): ParsedMarkdown {
  const { html, references } = renderedOf(text);
  return {
    references,
    render: (visibleTicketIds) =>
      references.length === 0
        ? html
        : html.replace(REFERENCE_LINK, (link, id: string, label: string) =>
            visibleTicketIds.has(Number(id)) ? link : label,
          ),
  };
}

/** The HTML of the markdown, `#N` linked for the ticket ids given (those the reader may see). */
export function renderMarkdown(text: string, visibleTicketIds: ReadonlySet<number>): string {
  return parseMarkdown(text).render(visibleTicketIds);
}

/** The ticket ids the text references as `#N` (outside code and links), at most MAX_REFERENCES_PER_TEXT. */
export function ticketReferences(text: string): number[] {
  return parseMarkdown(text).references;
}
