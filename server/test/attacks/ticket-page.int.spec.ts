import { hashTokenSecret, newTokenSecret } from '../../src/accounts/account-tokens';
import { TokenPurpose, UserToken } from '../../src/accounts/user-token.entity';
import { TokenScope } from '../../src/api-tokens/api-token.entity';
import type { TokenClaims } from '../../src/auth/token.service';
import type { CreateTicketInput } from '../../src/tickets/ticket.inputs';
import { UPDATE_TICKET, type TicketView } from '../support/operations';
import { TestApi, type GraphQLResponse, type TestUser, errorCodes } from '../support/test-server';

/**
 * Attacks on the ticket page of issue 12: markdown (descriptionHtml, commentHtml, renderMarkdown),
 * deactivation, duplicates and similarTickets, by a hostile USER and a hostile AGENT, on both
 * databases. A probe that found nothing stays as a regression test of the safe behaviour; one that
 * found a defect is `test.failing` (it passes once the defect is fixed, and then must lose the marker).
 */

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let mallory: TestUser;
let victim: TestUser;
let projectId: string;
/** Mallory's own tickets (she may see them), and the victim's (she may not). */
let malloryTicket: string;
let victimTicket: string;
const VICTIM_TITLE = 'Payroll export leaks salaries zanzibarite';

const RENDER = 'query ($text: String!) { renderMarkdown(text: $text) }';
const render = async (who: TestUser, text: string) =>
  (await api.ok<{ renderMarkdown: string }>(RENDER, { text }, who.token)).renderMarkdown;
const DEACTIVATE = `mutation ($userId: ID!, $deactivated: Boolean!) {
  setUserDeactivated(userId: $userId, deactivated: $deactivated) { id deactivated }
}`;
const SIMILAR = `query ($text: String!, $projectId: ID, $first: Int) {
  similarTickets(text: $text, projectId: $projectId, first: $first) { id title status }
}`;
const similar = (who: TestUser, variables: Record<string, unknown>) =>
  api.gql<{ similarTickets: { id: string; title: string }[] }>(SIMILAR, variables, { token: who.token });
const NEEDS_USER = `{ tickets(first: 1) { totalCount } }`;
const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`;

const invalidFields = (result: GraphQLResponse) =>
  ((result.errors?.[0]?.extensions?.invalidFields ?? []) as { field: string }[]).map((f) => f.field);

async function elapsed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = process.hrtime.bigint();
  const value = await work();
  return { ms: Number(process.hrtime.bigint() - start) / 1e6, value };
}

/** Tickets made through the service (no HTTP, no rate limit): volume for cost probes. */
async function seedTickets(
  owner: TestUser,
  inputs: Omit<CreateTicketInput, 'projectId'>[],
): Promise<string[]> {
  const actor = (await api.server.services.users.findById(Number(owner.id)))!;
  const ids: string[] = [];
  for (const input of inputs) {
    ids.push(String((await api.server.services.tickets.create(actor, { projectId, ...input })).id));
  }
  return ids;
}

beforeAll(async () => {
  api = await TestApi.start({}, { captureLogs: true });
  ({ admin, agent } = await api.registerAdminAndAgent());
  mallory = await api.register('mallory');
  victim = await api.register('victim');
  projectId = await api.createProject(admin, 'Payroll');
  malloryTicket = await api.createTicket(mallory, projectId, { title: 'My screen flickers' });
  victimTicket = await api.createTicket(victim, projectId, {
    title: VICTIM_TITLE,
    description: 'Confidential: the export mails every salary to everyone.',
  });
}, 30_000);
afterAll(() => api.stop());

/**
 * The HTML markdown-it may write with raw HTML off, checked tag by tag: known tags only, known
 * attributes only, links to http(s), mailto or a ticket page, never a link inside a link.
 */
function assertInert(html: string, input: string): void {
  const allowedTags = new Set(
    'p br strong em s del code pre blockquote ul ol li h1 h2 h3 h4 h5 h6 hr a table thead tbody tr th td'.split(
      ' ',
    ),
  );
  let openLinks = 0;
  for (const match of html.matchAll(/<(\/?)([a-zA-Z0-9]+)((?:[^>"']|"[^"]*"|'[^']*')*)>/g)) {
    const [, closing, tag, attributes] = match;
    const context = { input, tag: match[0] };
    expect({ ...context, allowed: allowedTags.has(tag.toLowerCase()) }).toEqual({
      ...context,
      allowed: true,
    });
    if (tag === 'a') openLinks += closing ? -1 : 1;
    expect({ ...context, nested: openLinks > 1 }).toEqual({ ...context, nested: false });
    if (closing) continue;
    const rest = attributes.replace(/\s([a-z]+)="([^"<>]*)"/g, (_, name: string, value: string) => {
      const ok =
        (name === 'href' && tag === 'a' && /^(?:https?:\/\/|mailto:|\/tickets\/\d+$)/i.test(value)) ||
        (name === 'rel' && value === 'nofollow noopener') ||
        (name === 'title' && tag === 'a') ||
        (name === 'class' && tag === 'code' && /^language-\S*$/.test(value)) ||
        (name === 'start' && tag === 'ol' && /^\d+$/.test(value)) ||
        (name === 'style' && /^text-align:(?:left|right|center)$/.test(value));
      expect({ ...context, attribute: `${name}="${value}"`, ok }).toEqual({
        ...context,
        attribute: `${name}="${value}"`,
        ok: true,
      });
      return '';
    });
    // Nothing but the attributes above: no unquoted one, no event handler.
    expect({ ...context, rest: rest.replace(/\s*\/?$/, '') }).toEqual({ ...context, rest: '' });
  }
  expect({ input, openLinks }).toEqual({ input, openLinks: 0 });
  // Whatever was escaped, no scheme that runs script is anywhere inside a tag.
  for (const tag of html.match(/<(?:[^>"]|"[^"]*")*>/g) ?? []) {
    const outsideValues = tag.replace(/"[^"]*"/g, '""');
    const hrefs = [...tag.matchAll(/href="([^"]*)"/g)].map((match) => match[1]);
    const script =
      /\son[a-z]+\s*=/i.test(outsideValues) ||
      hrefs.some((href) => /^\s*(?:javascript|vbscript|data):/i.test(href));
    expect({ input, tag, script }).toEqual({
      input,
      tag,
      script: false,
    });
  }
}

describe('markdown: XSS beyond the unit spec', () => {
  const hostile = () => [
    // Reference-style links whose destination is entity-encoded or split.
    `[a][x]\n\n[x]: javascript&colon;alert(1)`,
    `[a][x]\n\n[x]: &#106;avascript:alert(1)`,
    `[a][x]\n\n[x]: &#x6A;&#x61;vascript:alert(1)`,
    `[a][x]\n\n[x]: jav&#x09;ascript:alert(1)`,
    `[a][x]\n\n[x]: <javascript:alert(1)> "t"`,
    `[a][x]\n\n[x]: \\javascript:alert(1)`,
    `[x]: http://ok.example\n[#${malloryTicket}][x]`,
    `[a](<javascript:alert(1)>)`,
    `[a](java\tscript:alert(1))`,
    `[a](%6Aavascript:alert(1))`,
    `[a](\u0001javascript:alert(1))`,
    `[a](ｊavascript:alert(1))`,
    `[a](https:javascript:alert(1))`,
    // Autolinks.
    `<javascript:alert(1)>`,
    `<JaVaScRiPt:alert(1)>`,
    `<vbscript:msgbox(1)>`,
    `<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>`,
    `<http://x.example/"onmouseover="alert(1)>`,
    `<mailto:a@b.example?subject="><script>alert(1)</script>>`,
    // Linkify edge cases.
    `http://x"onmouseover=alert(1)//`,
    `http://x.example/'onmouseover='alert(1)`,
    `www.x.example/"><script>alert(1)</script>`,
    `https://x.example/<img/src/onerror=alert(1)>`,
    `a@b.example"onmouseover="alert(1)`,
    `javascript://example.com/%0Aalert(1)`,
    // #N inside link text, titles, images and code.
    `[#${malloryTicket}](javascript:alert(1))`,
    `[see #${malloryTicket} and [x](http://y.example)](http://z.example)`,
    `[![#${malloryTicket}](http://img.example/a.png)](http://x.example)`,
    `[http://a.example/#${malloryTicket}](http://b.example)`,
    `http://a.example/#${malloryTicket}`,
    `<http://a.example/#${malloryTicket}>`,
    `[a](http://x.example "#${malloryTicket}")`,
    `#${malloryTicket}"onmouseover="alert(1)`,
    `**#${malloryTicket}**<img src=x onerror=alert(1)>`,
    `*[#${malloryTicket}*](http://x.example)`,
    // Images and titles.
    `![x"onerror="alert(1)](http://x.example/a.png)`,
    `![a](http://x.example/a.png "t\\" onerror=\\"alert(1)")`,
    `![](javascript:alert(1))`,
    `![a](data:image/svg+xml,<svg/onload=alert(1)>)`,
    `[a](http://x.example "a\\" onclick=\\"b")`,
    // Raw HTML and fences.
    '```"><script>alert(1)</script>\ncode\n```',
    '```js onload=alert(1)\ncode\n```',
    `<a href="javascript:alert(1)">x</a>`,
    `<img src=x onerror=alert(1)>`,
    `<svg><script>alert(1)</script></svg>`,
    `<!-- --><script>alert(1)</script>`,
    `| a |\n|---|\n| <script>alert(1)</script> [x](javascript:alert(1)) |`,
  ];

  test('every hostile input renders to inert HTML, for the USER and for staff', async () => {
    for (const who of [mallory, agent]) {
      for (const input of hostile()) assertInert(await render(who, input), input);
    }
  });

  test('a #N inside a link is never a second link; the link text keeps it as text', async () => {
    const html = await render(mallory, `[see #${malloryTicket}](http://z.example)`);
    expect(html).toBe(
      `<p><a href="http://z.example" rel="nofollow noopener">see #${malloryTicket}</a></p>\n`,
    );
  });

  test('stored hostile descriptions and comments render inert in descriptionHtml and commentHtml', async () => {
    const text = hostile().slice(0, 12).join('\n\n');
    const id = await api.createTicket(mallory, projectId, { title: 'Hostile', description: text });
    await api.ok(UPDATE_TICKET, { id, input: { comment: hostile().slice(12).join('\n\n') } }, mallory.token);
    for (const who of [mallory, agent]) {
      const data = await api.ok<{
        ticket: { descriptionHtml: string; jobs: { commentHtml: string | null }[] };
      }>('query ($id: ID!) { ticket(id: $id) { descriptionHtml jobs { commentHtml } } }', { id }, who.token);
      assertInert(data.ticket.descriptionHtml, text);
      for (const job of data.ticket.jobs) assertInert(job.commentHtml ?? '', 'comment');
    }
  });
});

describe('markdown: cost', () => {
  const N = 20_000;
  const pathological: Record<string, string> = {
    'nested emphasis *a': '*a '.repeat(N / 3),
    'nested emphasis **a': '**a'.repeat(N / 3),
    'emphasis *_': '*_'.repeat(N / 2),
    'a* mix': 'a*'.repeat(N / 2),
    'brackets [': '['.repeat(N),
    'brackets [[[ ]]]': '['.repeat(N / 2) + ']'.repeat(N / 2),
    'links [a](': '[a]('.repeat(N / 4),
    'images ![': '!['.repeat(N / 2),
    'blockquotes >': '>'.repeat(N),
    backticks: '`a``'.repeat(N / 4),
    'autolinks <a': '<a'.repeat(N / 2),
    'linkify http://a-': 'http://a-'.repeat(Math.floor(N / 9)),
    'references #1': '#1 '.repeat(N / 3),
    'references #1 per line': '#1\n'.repeat(N / 3),
    'list items': '- a\n'.repeat(N / 4),
    'table rows': 'a|b\n-|-\n' + 'a|b\n'.repeat(N / 4 - 2),
    'underscores a_': 'a_'.repeat(N / 2),
  };

  test('each 20,000-character pathological input renders over HTTP in under a second', async () => {
    await render(mallory, 'warm up *a*');
    const timings: Record<string, number> = {};
    for (const [name, text] of Object.entries(pathological)) {
      expect(text.length).toBeLessThanOrEqual(N);
      const { ms, value } = await elapsed(() => api.gql(RENDER, { text }, { token: mallory.token }));
      expect({ name, errors: value.errors }).toEqual({ name, errors: undefined });
      timings[name] = Math.round(ms);
    }
    console.log('renderMarkdown of 20,000 characters, ms:', JSON.stringify(timings));
    for (const [name, ms] of Object.entries(timings))
      expect({ name, slow: ms > 1000 }).toEqual({ name, slow: false });
  }, 120_000);

  /**
   * Found: a USER's page of 100 own tickets whose descriptions are 20,000 characters of cheap-to-write,
   * slow-to-parse markdown is parsed again on every read, on the event loop: seconds of CPU per request
   * in which no other request is served, and an answer many times the stored text.
   */
  describe('a page of 100 tickets with 20,000-character pathological descriptions', () => {
    let owner: TestUser;
    beforeAll(async () => {
      owner = await api.register('cpuhog');
      await seedTickets(
        owner,
        Array.from({ length: 100 }, (_, index) => ({
          title: `Hog ${index}`,
          // Each one distinct: the service keeps texts it has rendered, and a page of copies would be one text.
          description: `${index % 2 === 0 ? pathological['list items'] : pathological['references #1 per line']}${index}`,
        })),
      );
    }, 120_000);

    test.failing(
      'is read in under a second and answers under 10 MB',
      async () => {
        const query = `{ tickets(first: 100) { nodes { id descriptionHtml } } }`;
        const plain = await elapsed(() =>
          api.ok(`{ tickets(first: 100) { nodes { id description } } }`, {}, owner.token),
        );
        const { ms, value } = await elapsed(() =>
          api.http('/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
            body: JSON.stringify({ query }),
          }),
        );
        expect(value.status).toBe(200);
        console.log(
          `page of 100 pathological descriptions: descriptionHtml ${Math.round(ms)} ms, ${value.text.length} bytes;` +
            ` description alone ${Math.round(plain.ms)} ms`,
        );
        expect(value.json.data.tickets.nodes).toHaveLength(100);
        expect(ms).toBeLessThan(1000);
        expect(value.text.length).toBeLessThan(10_000_000);
      },
      120_000,
    );
  });

  test('a page of 100 tickets with 100 distinct #N each: statements bounded by batches of ids', async () => {
    const owner = await api.register('referrer');
    await seedTickets(
      owner,
      Array.from({ length: 100 }, (_, index) => ({
        title: `Referrer ${index}`,
        description: Array.from({ length: 100 }, (_, n) => `#${index * 100 + n + 1}`).join(' '),
      })),
    );
    const page = (fields: string) => `{ tickets(first: 100) { nodes { id ${fields} } } }`;
    const plain = await api.sqlDuring(() => api.ok(page('description'), {}, owner.token));
    const { ms, value: html } = await elapsed(() =>
      api.sqlDuring(() => api.ok(page('descriptionHtml'), {}, owner.token)),
    );
    console.log(`page of 100 × 100 #N: ${html - plain} more statements, ${Math.round(ms)} ms`);
    // 10,000 distinct ids in batches of 512: 20 statements, not one per ticket or per reference.
    expect(html - plain).toBeLessThanOrEqual(20);
    expect(ms).toBeLessThan(5000);
  }, 120_000);
});

describe('information leaks', () => {
  test('#N of a ticket the USER may not see reads exactly like a ticket that does not exist', async () => {
    const missing = String(Number(victimTicket) + 100_000);
    const forms = [
      (id: string) => `#${id}`,
      (id: string) => `**#${id}**`,
      (id: string) => `- #${id}\n- (#${id})`,
      (id: string) => `> #${id}.`,
    ];
    for (const form of forms) {
      const seen = await render(mallory, form(victimTicket));
      const none = await render(mallory, form(missing));
      expect(seen.replaceAll(victimTicket, 'N')).toBe(none.replaceAll(missing, 'N'));
      expect(seen).not.toContain('<a');
    }
  });

  test("staff's public comment on the USER's ticket links the victim's ticket for staff only", async () => {
    const text = `Same as #${victimTicket} and #${malloryTicket}`;
    await api.ok(UPDATE_TICKET, { id: malloryTicket, input: { comment: text } }, agent.token);
    const read = async (who: TestUser) =>
      (
        await api.ok<{ ticket: { jobs: { comment: string | null; commentHtml: string | null }[] } }>(
          'query ($id: ID!) { ticket(id: $id) { jobs { comment commentHtml } } }',
          { id: malloryTicket },
          who.token,
        )
      ).ticket.jobs.find((job) => job.comment === text)!.commentHtml!;
    const mine = await read(mallory);
    expect(mine).not.toContain(`/tickets/${victimTicket}`);
    expect(mine).toContain(`href="/tickets/${malloryTicket}"`);
    expect(await read(agent)).toContain(`href="/tickets/${victimTicket}"`);
  });

  test("a USER's ticket closed as a duplicate of the victim's: no title, status or author of it reaches the USER", async () => {
    const id = await api.createTicket(mallory, projectId, { title: 'Salaries visible?' });
    await api.ok(UPDATE_TICKET, { id, input: { duplicateOfId: victimTicket } }, agent.token);
    const answer = await api.gql(
      `query ($id: ID!) { ticket(id: $id) { ${'id title status duplicateOf { id title } possibleDuplicates { id } descriptionHtml'}
        jobs { comment commentHtml changes { field from to } } } }`,
      { id },
      { token: mallory.token },
    );
    expect(answer.errors).toBeUndefined();
    const body = JSON.stringify(answer.data);
    expect(answer.data!.ticket).toMatchObject({
      status: 'CLOSED',
      duplicateOf: null,
      possibleDuplicates: null,
    });
    for (const secret of [VICTIM_TITLE, 'zanzibarite', victim.username, 'Confidential']) {
      expect({ secret, leaked: body.includes(secret) }).toEqual({ secret, leaked: false });
    }
    // Recorded: the history names the target by number (as a `#N` the USER cannot follow). Its number alone
    // tells that some ticket has it, which ticket ids (sequential) already tell.
    const changes = (
      answer.data!.ticket.jobs as { changes: { field: string; to: string | null }[] }[]
    ).flatMap((job) => job.changes);
    expect(changes).toContainEqual(expect.objectContaining({ field: 'duplicateOf', to: victimTicket }));
  });

  test('similarTickets: a USER finds neither the tickets of others nor words of internal notes on their own', async () => {
    const own = await api.createTicket(mallory, projectId, { title: 'Keyboard squeaks' });
    await api.ok(
      UPDATE_TICKET,
      { id: own, input: { comment: 'Reporter is quibblesome, ignore xylographic', internal: true } },
      agent.token,
    );
    for (const text of ['zanzibarite payroll salaries', 'xylographic', 'quibblesome keyboard']) {
      const found = await similar(mallory, { text, first: 10 });
      expect(found.errors).toBeUndefined();
      const ids = found.data!.similarTickets.map((ticket) => ticket.id);
      expect(ids).not.toContain(victimTicket);
      if (text === 'xylographic') expect(ids).toEqual([]);
    }
    // Control: staff find the victim's ticket by its words (and the USER finds her own by its title).
    expect(
      (await similar(agent, { text: 'zanzibarite', first: 10 })).data!.similarTickets.map((t) => t.id),
    ).toContain(victimTicket);
    expect(
      (await similar(mallory, { text: 'keyboard', first: 10 })).data!.similarTickets.map((t) => t.id),
    ).toContain(own);
  });

  test("similarTickets by another user's projectId, or an unknown one, finds nothing and errs alike", async () => {
    for (const projectIdValue of [projectId, '2147483647']) {
      const found = await similar(mallory, { text: 'zanzibarite', projectId: projectIdValue });
      expect(found.errors).toBeUndefined();
      expect(found.data!.similarTickets).toEqual([]);
    }
  });
});

describe('duplicates', () => {
  const markDuplicate = (who: TestUser, id: string, duplicateOfId: unknown) =>
    api.gql<{ updateTicket: TicketView }>(
      UPDATE_TICKET,
      { id, input: { duplicateOfId } },
      { token: who.token },
    );
  const chainRows = async () =>
    api.sql<{ id: number; duplicateOfId: number | null }[]>(
      `SELECT "id", "duplicateOfId" FROM "ticket" WHERE "duplicateOfId" IS NOT NULL`,
    );
  /** Whether the stored duplicateOf links hold a cycle. */
  async function hasCycle(): Promise<boolean> {
    const next = new Map((await chainRows()).map((row) => [Number(row.id), Number(row.duplicateOfId)]));
    for (const start of next.keys()) {
      let current: number | undefined = start;
      for (let step = 0; step < next.size + 1 && current !== undefined; step += 1) {
        current = next.get(current);
        if (current === start) return true;
      }
    }
    return false;
  }

  test('two agents marking A dup of B and B dup of A at once: never a cycle, the loser refused', async () => {
    const second = await api.register('agent2');
    await api.setRole(admin, second, 'AGENT');
    for (let round = 0; round < 6; round += 1) {
      const a = await api.createTicket(victim, projectId, { title: `Race A ${round}` });
      const b = await api.createTicket(victim, projectId, { title: `Race B ${round}` });
      const c = await api.createTicket(victim, projectId, { title: `Race C ${round}` });
      const results =
        round % 2 === 0
          ? await Promise.all([markDuplicate(agent, a, b), markDuplicate(second, b, a)])
          : await Promise.all([
              markDuplicate(agent, a, b),
              markDuplicate(second, b, c),
              markDuplicate(agent, c, a),
            ]);
      for (const result of results) {
        expect(result.errors === undefined || errorCodes(result)[0] === 'BAD_USER_INPUT').toBe(true);
      }
      expect(results.some((result) => result.errors === undefined)).toBe(true);
      expect(results.some((result) => result.errors !== undefined)).toBe(true);
      expect(await hasCycle()).toBe(false);
    }
  }, 60_000);

  /**
   * Found: the cycle check follows a chain of duplicates 1,000 links deep (CHAIN_MAX, "a longer one would be
   * a broken database"), but an AGENT builds a longer chain through the API, one update at a time; closing
   * its last ticket as a duplicate of its first then makes a cycle of 1,002 tickets.
   */
  test('a chain of more than 1,000 duplicates cannot be closed into a cycle', async () => {
    const ids = await seedTickets(
      victim,
      Array.from({ length: 1002 }, (_, index) => ({ title: `Chain ${index}`, description: 'Link.' })),
    );
    const actor = (await api.server.services.users.findById(Number(agent.id)))!;
    for (let index = 0; index + 1 < ids.length; index += 1) {
      await api.server.services.tickets.update(actor, Number(ids[index]), {
        duplicateOfId: ids[index + 1],
      });
    }
    const closing = await markDuplicate(agent, ids.at(-1)!, ids[0]);
    expect(errorCodes(closing)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(closing)).toEqual(['duplicateOfId']);
    expect(await hasCycle()).toBe(false);
  }, 300_000);

  test('malformed and out-of-range duplicateOfId: BAD_USER_INPUT naming it, never a 500, nothing changed', async () => {
    const id = await api.createTicket(victim, projectId, { title: 'Target of malformed ids' });
    const before = await api.snapshot();
    for (const value of [
      '2147483648',
      '99999999999999999999999',
      '-1',
      '0',
      '1e3',
      ' 1',
      '01',
      'abc',
      '１',
      '1; DROP TABLE ticket',
      'NaN',
      '',
    ]) {
      const result = await markDuplicate(agent, id, value);
      expect({ value, codes: errorCodes(result), fields: invalidFields(result) }).toEqual({
        value,
        codes: ['BAD_USER_INPUT'],
        fields: ['duplicateOfId'],
      });
    }
    for (const value of [1e20, 12.5, true]) {
      const result = await markDuplicate(agent, id, value);
      expect({ value, codes: errorCodes(result), status: result.status < 500 }).toEqual({
        value,
        codes: [expect.stringMatching(/BAD_USER_INPUT|GRAPHQL_VALIDATION_FAILED/)],
        status: true,
      });
    }
    const highest = await markDuplicate(agent, id, '2147483647');
    expect(errorCodes(highest)).toEqual(['NOT_FOUND']);
    expect(await api.snapshot()).toEqual(before);
  });

  test('an AGENT marks a ticket of an archived project as a duplicate, and onto one: answered, never a 500', async () => {
    const archivedProject = await api.createProject(admin, 'Old');
    const inArchived = await api.createTicket(victim, archivedProject, { title: 'Old ticket' });
    const other = await api.createTicket(victim, projectId, { title: 'Current ticket' });
    await api.ok(
      'mutation ($id: ID!, $input: UpdateProjectInput!) { updateProject(id: $id, input: $input) { id } }',
      { id: archivedProject, input: { archived: true } },
      admin.token,
    );
    const onto = await markDuplicate(agent, other, inArchived);
    expect(onto.errors).toBeUndefined();
    expect(onto.data!.updateTicket.status).toBe('CLOSED');
    const of = await markDuplicate(agent, inArchived, other);
    expect(of.errors === undefined || errorCodes(of)[0] === 'BAD_USER_INPUT').toBe(true);
  });

  test('the reporter reopening a ticket closed as a duplicate clears it, in one job; clearing a closed one is nothing', async () => {
    const id = await api.createTicket(mallory, projectId, { title: 'Reopen me' });
    await api.ok(UPDATE_TICKET, { id, input: { duplicateOfId: malloryTicket } }, agent.token);
    // duplicateOfId: null on a ticket still CLOSED changes nothing: refused as such, nothing recorded.
    const before = await api.snapshot();
    const cleared = await api.gql(
      UPDATE_TICKET,
      { id, input: { duplicateOfId: null } },
      { token: mallory.token },
    );
    expect(errorCodes(cleared)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(cleared)).toEqual(['input']);
    expect(await api.snapshot()).toEqual(before);
    const reopened = await api.ok<{ updateTicket: TicketView }>(
      UPDATE_TICKET,
      { id, input: { status: 'OPEN' } },
      mallory.token,
    );
    expect(reopened.updateTicket.status).toBe('OPEN');
    expect(reopened.updateTicket.jobs.at(-1)!.changes).toEqual(
      expect.arrayContaining([
        { field: 'status', from: 'CLOSED', to: 'OPEN' },
        { field: 'duplicateOf', from: malloryTicket, to: null },
      ]),
    );
    const [row] = await api.sql<{ duplicateOfId: number | null }[]>(
      `SELECT "duplicateOfId" FROM "ticket" WHERE "id" = ?`,
      [Number(id)],
    );
    expect(row.duplicateOfId).toBeNull();
  });
});

describe('similarTickets: hostile arguments and volume', () => {
  test('first outside 1 to 10 (and null) is BAD_USER_INPUT naming first, never a 500', async () => {
    for (const first of [0, 11, -1, 2147483647, -2147483648]) {
      const result = await similar(mallory, { text: 'keyboard', first });
      expect({ first, codes: errorCodes(result), fields: invalidFields(result) }).toEqual({
        first,
        codes: ['BAD_USER_INPUT'],
        fields: ['first'],
      });
    }
    const nullFirst = await similar(mallory, { text: 'keyboard', first: null });
    expect(nullFirst.status).toBeLessThan(500);
    expect(errorCodes(nullFirst).filter((code) => code === 'INTERNAL_SERVER_ERROR')).toEqual([]);
    for (const projectIdValue of ['abc', '-1', '2147483648', '']) {
      const result = await similar(mallory, { text: 'keyboard', projectId: projectIdValue });
      expect({ projectIdValue, codes: errorCodes(result), fields: invalidFields(result) }).toEqual({
        projectIdValue,
        codes: ['BAD_USER_INPUT'],
        fields: ['projectId'],
      });
    }
  });

  test('500 characters of full-text syntax, unicode and emoji never error; 501 is refused naming text', async () => {
    const syntax = `NEAR(a b, 3) "unclosed * ^ : {} {title} : - + ( ) AND OR NOT | & ! <-> <2> :* ' \\ % _ keyboard`;
    const texts = [
      syntax.repeat(10).slice(0, 500),
      'NEAR('.repeat(100),
      '"'.repeat(500),
      '*'.repeat(500),
      '{}:^'.repeat(125),
      'keyboard:* & !squeaks | (a<->b)'.padEnd(500, ')'),
      '😀'.repeat(250),
      '👩‍👩‍👧‍👦 keyboard 🏳️‍🌈',
      '²²²²²²² ⅷⅷⅷⅷ ①②③④ ªªªª ºººº',
      '𝔨𝔢𝔶𝔟𝔬𝔞𝔯𝔡 𝐤𝐞𝐲𝐛𝐨𝐚𝐫𝐝',
      'keyboard\u0301\u0301\u0301 e\u0301te\u0301 \u202Eevil\u202C \u200Bzero\u200Bwidth',
      'ß'.repeat(60) + ' İstanbul ǅemal ﬁnance',
      '键盘吱吱作响'.repeat(80),
      'ไม่มีช่องว่างระหว่างคำในภาษาไทย'.repeat(15),
      'a'.repeat(500),
      Array.from({ length: 100 }, (_, index) => `word${index}`)
        .join(' ')
        .slice(0, 500),
      '\u0001 keyboard \uFFFF \uD800',
    ];
    for (const who of [mallory, agent]) {
      for (const text of texts) {
        const result = await similar(who, { text, first: 10 });
        expect({ text, errors: result.errors }).toEqual({ text, errors: undefined });
      }
    }
    // NUL cannot be stored on PostgreSQL: refused on both databases, naming text.
    for (const result of [
      await similar(mallory, { text: 'key\u0000board' }),
      await api.gql(RENDER, { text: '\u0000' }, { token: mallory.token }),
    ]) {
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(invalidFields(result)).toEqual(['text']);
    }
    const tooLong = await similar(mallory, { text: 'k'.repeat(501) });
    expect(errorCodes(tooLong)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(tooLong)).toEqual(['text']);
  });

  test('at volume (2,000 tickets sharing words): a USER and staff are answered quickly, in few statements', async () => {
    const hoarder = await api.register('hoarder');
    const words = ['printer', 'network', 'invoice', 'password', 'monitor', 'keyboard', 'calendar', 'backup'];
    const inputs = Array.from({ length: 2000 }, (_, index) => ({
      title: `${words[index % 8]} ${words[(index + 3) % 8]} broken ${index}`,
      description: `${words.join(' ')} trouble number ${index} prefixword${index % 50}`,
    }));
    const { ms: seedMs } = await elapsed(async () => {
      await seedTickets(hoarder, inputs.slice(0, 1000));
      await seedTickets(victim, inputs.slice(1000));
    });
    const text = `${words.join(' ')} broken trouble prefixword`;
    const timings: Record<string, number> = {};
    for (const [name, who] of [
      ['hoarder (USER, 1,000 own)', hoarder],
      ['mallory (USER, none alike)', mallory],
      ['agent', agent],
    ] as const) {
      await similar(who, { text, first: 10 });
      let statements = 0;
      const { ms, value } = await elapsed(async () => {
        let result: Awaited<ReturnType<typeof similar>> | undefined;
        statements = await api.sqlDuring(async () => (result = await similar(who, { text, first: 10 })));
        return result!;
      });
      expect(value.errors).toBeUndefined();
      timings[`${name} ms`] = Math.round(ms);
      timings[`${name} statements`] = statements;
      expect(statements).toBeLessThanOrEqual(4);
      expect(ms).toBeLessThan(1500);
      if (who === hoarder) {
        const ids = value.data!.similarTickets.map((ticket) => Number(ticket.id));
        expect(ids).toHaveLength(10);
        const [row] = await api.sql<{ n: number | string }[]>(
          `SELECT COUNT(*) AS n FROM "ticket" WHERE "authorId" <> ? AND "id" IN (${ids.join(',')})`,
          [Number(hoarder.id)],
        );
        expect(Number(row.n)).toBe(0);
      }
      if (who === mallory)
        expect(value.data!.similarTickets.map((t) => t.title)).not.toContain(inputs[1500].title);
    }
    // possibleDuplicates of a page of 20 tickets, for staff.
    const page = (fields: string) => `{ tickets(first: 20) { nodes { id ${fields} } } }`;
    const plain = await api.sqlDuring(() => api.ok(page('title'), {}, agent.token));
    let pageStatements = 0;
    const { ms: pageMs } = await elapsed(async () => {
      pageStatements = await api.sqlDuring(() => api.ok(page('possibleDuplicates { id }'), {}, agent.token));
    });
    timings['possibleDuplicates page of 20 statements beyond the page'] = pageStatements - plain;
    // Two statements per ticket (a search, a read of rows): pinned so that it grows no further.
    expect(pageStatements - plain).toBeLessThanOrEqual(40);
    const { ms: hundredMs } = await elapsed(() =>
      api.ok(`{ tickets(first: 100) { nodes { id possibleDuplicates { id } } } }`, {}, agent.token),
    );
    timings['possibleDuplicates page of 100 ms'] = Math.round(hundredMs);
    timings['possibleDuplicates page of 20 ms'] = Math.round(pageMs);
    console.log(
      `similarTickets at 2,000 tickets (seeded in ${Math.round(seedMs)} ms):`,
      JSON.stringify(timings),
    );
    expect(pageMs).toBeLessThan(5000);
  }, 300_000);
});

describe('deactivation', () => {
  const setDeactivated = (actor: TestUser, userId: string, deactivated: boolean) =>
    api.gql<{ setUserDeactivated: { id: string; deactivated: boolean | null } }>(
      DEACTIVATE,
      { userId, deactivated },
      { token: actor.token },
    );
  const storedUser = async (user: TestUser) =>
    (
      await api.sql<{ deactivatedAt: unknown; sessionVersion: number; passwordHash: string }[]>(
        `SELECT "deactivatedAt", "sessionVersion", "passwordHash" FROM "user" WHERE "id" = ?`,
        [Number(user.id)],
      )
    )[0];

  test('an AGENT and a USER cannot deactivate anyone (FORBIDDEN); anonymous is UNAUTHENTICATED; nothing changes', async () => {
    const target = await api.register('target');
    const before = await storedUser(target);
    const snapshot = await api.snapshot();
    for (const [who, code] of [
      [agent, 'FORBIDDEN'],
      [mallory, 'FORBIDDEN'],
    ] as const) {
      for (const userId of [target.id, admin.id, who.id]) {
        expect(errorCodes(await setDeactivated(who, userId, true))).toEqual([code]);
      }
    }
    expect(errorCodes(await api.gql(DEACTIVATE, { userId: target.id, deactivated: true }))).toEqual([
      'UNAUTHENTICATED',
    ]);
    for (const userId of ['abc', '-1', '2147483648', '0']) {
      const result = await setDeactivated(admin, userId, true);
      expect({ userId, codes: errorCodes(result), fields: invalidFields(result) }).toEqual({
        userId,
        codes: ['BAD_USER_INPUT'],
        fields: ['userId'],
      });
    }
    expect(await storedUser(target)).toEqual(before);
    expect(await api.snapshot()).toEqual(snapshot);
  });

  test("an ADMIN's READ-scope API token cannot deactivate anyone: FORBIDDEN, nothing changed", async () => {
    const target = await api.register('readscope');
    const read = (
      await api.ok<{ createApiToken: { secret: string } }>(
        CREATE_TOKEN,
        { input: { name: `read ${target.username}`, scope: 'READ' } },
        admin.token,
      )
    ).createApiToken.secret;
    const before = await storedUser(target);
    const result = await api.gql(DEACTIVATE, { userId: target.id, deactivated: true }, { token: read });
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    expect(await storedUser(target)).toEqual(before);
  });

  test('a session used in the same instant as the deactivation is refused from the moment it commits', async () => {
    const target = await api.register('instant');
    const secret = (
      await api.ok<{ createApiToken: { secret: string } }>(
        CREATE_TOKEN,
        { input: { name: 'instant', scope: 'WRITE' } },
        target.token,
      )
    ).createApiToken.secret;
    const fresh = (await api.login(target.username, target.password)).data!.login.token;
    // Requests fired alongside: some may be served before the commit; none after.
    const during = Array.from({ length: 10 }, () => api.gql(NEEDS_USER, {}, { token: fresh }));
    expect((await setDeactivated(admin, target.id, true)).errors).toBeUndefined();
    await Promise.all(during);
    for (const credential of [fresh, target.token, secret]) {
      expect(errorCodes(await api.gql(NEEDS_USER, {}, { token: credential }))).toEqual(['UNAUTHENTICATED']);
      const write = await api.gql(
        UPDATE_TICKET,
        { id: malloryTicket, input: { comment: 'still here' } },
        { token: credential },
      );
      expect(errorCodes(write)).toEqual(['UNAUTHENTICATED']);
    }
  });

  test('a login racing the deactivation never yields a token that works afterwards', async () => {
    for (let round = 0; round < 4; round += 1) {
      const target = await api.register('racelogin');
      const [login, deactivation] = await Promise.all([
        api.login(target.username, target.password),
        setDeactivated(admin, target.id, true),
      ]);
      expect(deactivation.errors).toBeUndefined();
      if (login.errors === undefined) {
        expect(errorCodes(await api.gql(NEEDS_USER, {}, { token: login.data!.login.token }))).toEqual([
          'UNAUTHENTICATED',
        ]);
      } else {
        expect(errorCodes(login)).toEqual(['FORBIDDEN']);
      }
    }
  });

  test('API tokens created by requests racing the deactivation are refused while it lasts', async () => {
    for (let round = 0; round < 6; round += 1) {
      const target = await api.register('racetoken');
      const creations = Array.from({ length: 4 }, (_, index) =>
        api.gql<{ createApiToken: { secret: string } }>(
          CREATE_TOKEN,
          { input: { name: `race ${round} ${index}`, scope: 'WRITE' } },
          { token: target.token },
        ),
      );
      const deactivation = setDeactivated(admin, target.id, true);
      const created = await Promise.all(creations);
      expect((await deactivation).errors).toBeUndefined();
      for (const result of created) {
        if (result.errors !== undefined) continue;
        const answer = await api.gql(NEEDS_USER, {}, { token: result.data!.createApiToken.secret });
        expect(errorCodes(answer)).toEqual(['UNAUTHENTICATED']);
      }
    }
  }, 60_000);

  /**
   * Found (seen over HTTP on PostgreSQL: 10 of 32 racing createApiToken calls in 8 rounds survived): a
   * createApiToken authenticated before the deactivation commits after it, since the service trusts the
   * principal read at authentication. The token escapes the deletion; refused while the account is
   * deactivated, it opens it again on reactivation (which promises that every token was ended). Shown here
   * without timing: the request's principal as read before the deactivation.
   */
  test('a token created by a request authenticated before the deactivation does not outlive it', async () => {
    const target = await api.register('staletoken');
    const stale = (await api.server.services.users.findById(Number(target.id)))!;
    const claims = JSON.parse(Buffer.from(target.token.split('.')[1], 'base64url').toString()) as TokenClaims;
    expect((await setDeactivated(admin, target.id, true)).errors).toBeUndefined();
    let secret: string | undefined;
    try {
      secret = (
        await api.server.services.apiTokens.create(
          { kind: 'session', user: stale, scope: TokenScope.WRITE, claims },
          { name: 'made in the race', scope: TokenScope.WRITE },
        )
      ).secret;
    } catch {
      // Refused: the safe answer.
    }
    expect((await setDeactivated(admin, target.id, false)).errors).toBeUndefined();
    if (secret !== undefined) {
      expect(errorCodes(await api.gql(NEEDS_USER, {}, { token: secret }))).toEqual(['UNAUTHENTICATED']);
    }
  });

  /** A stored timestamp as milliseconds, whichever way the database returns it. */
  const millis = (value: unknown) =>
    value instanceof Date
      ? value.getTime()
      : /^\d+$/.test(String(value))
        ? Number(value)
        : Date.parse(String(value));

  /**
   * Found (every round but one, on both databases): resetPassword checks that the owner is active before
   * the slow password hash, outside its transaction, and not again inside it. A deactivation committed
   * during the hash (about 100 ms) is followed by the reset: the deactivated account's password is set (and
   * its login locks lifted); the password then opens the account on reactivation.
   */
  test('a password reset racing the deactivation never sets the password of a deactivated account', async () => {
    const PASS = 'a brand new passphrase 42 for the race';
    const late: string[] = [];
    for (const delay of [0, 5, 15, 30, 60, 100]) {
      const target = await api.register('racereset');
      // A reset link issued before the deactivation, as requestPasswordReset issues it (the mail's secret is sealed).
      const secret = newTokenSecret();
      const now = new Date();
      await api.server.services.database.manager.insert(UserToken, {
        userId: Number(target.id),
        purpose: TokenPurpose.RESET_PASSWORD,
        tokenHash: hashTokenSecret(secret),
        email: target.email,
        createdAt: now,
        expiresAt: new Date(now.getTime() + 3_600_000),
        usedAt: null,
      });
      const reset = api.gql('mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) }', {
        input: { token: secret, newPassword: PASS },
      });
      await new Promise((resolve) => setTimeout(resolve, delay));
      expect((await setDeactivated(admin, target.id, true)).errors).toBeUndefined();
      const answer = await reset;
      const [user] = await api.sql<{ deactivatedAt: unknown }[]>(
        `SELECT "deactivatedAt" FROM "user" WHERE "id" = ?`,
        [Number(target.id)],
      );
      const [token] = await api.sql<{ usedAt: unknown }[]>(
        `SELECT "usedAt" FROM "user_token" WHERE "userId" = ? AND "usedAt" IS NOT NULL`,
        [Number(target.id)],
      );
      const resetAt = token ? millis(token.usedAt) : null;
      console.log(
        `reset racing deactivation after ${delay} ms: reset ${answer.errors ? errorCodes(answer)[0] : 'accepted'}` +
          (resetAt === null ? '' : `, ${resetAt - millis(user.deactivatedAt)} ms after the deactivation`),
      );
      // The reset's own timestamp is after the deactivation's: it changed a deactivated account.
      if (answer.errors === undefined && resetAt !== null && resetAt > millis(user.deactivatedAt)) {
        late.push(
          `after ${delay} ms: password set ${resetAt - millis(user.deactivatedAt)} ms after deactivation`,
        );
      }
      // Whatever the order, the new password opens nothing while deactivated.
      expect(errorCodes(await api.login(target.username, PASS))).toEqual([
        answer.errors === undefined ? 'FORBIDDEN' : 'BAD_USER_INPUT',
      ]);
    }
    expect(late).toEqual([]);
    // Six rounds of three password hashes each (register, reset, login): slow on a loaded machine.
  }, 60_000);

  test('an admin deactivating the other admin while being demoted by them: one active admin remains', async () => {
    const first = await api.register('pairA');
    const second = await api.register('pairB');
    await api.setRole(admin, first, 'ADMIN');
    await api.setRole(admin, second, 'ADMIN');
    const activeAdmins = async () =>
      (
        await api.sql<{ id: number }[]>(
          `SELECT "id" FROM "user" WHERE "role" = 'ADMIN' AND "deactivatedAt" IS NULL`,
        )
      ).map((row) => String(row.id));
    const outsiders = (await activeAdmins()).filter((id) => id !== first.id && id !== second.id);
    for (const id of outsiders) await api.ok(DEACTIVATE, { userId: id, deactivated: true }, first.token);
    try {
      await Promise.all([
        api.gql(
          'mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id } }',
          {
            id: second.id,
            role: 'USER',
          },
          { token: first.token },
        ),
        setDeactivated(second, first.id, true),
      ]);
      expect((await activeAdmins()).length).toBeGreaterThanOrEqual(1);
    } finally {
      const [survivor] = await activeAdmins();
      const who = survivor === first.id ? first : second;
      for (const id of outsiders) await api.ok(DEACTIVATE, { userId: id, deactivated: false }, who.token);
      admin = { ...admin, token: (await api.login(admin.username, admin.password)).data!.login.token };
    }
  });
});
