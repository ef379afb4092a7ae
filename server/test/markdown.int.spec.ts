import { TestApi, errorCodes, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let projectId: string;
/** Alice's tickets, and one of Bob's. */
let aliceFirst: string;
let aliceSecond: string;
let bobs: string;
/** A ticket number no ticket has. */
const missing = '999999';

const link = (id: string) => `<a href="/tickets/${id}" rel="nofollow noopener">#${id}</a>`;

interface TicketHtml {
  id: string;
  description: string;
  descriptionHtml: string;
  jobs: { comment: string | null; commentHtml: string | null }[];
}
const TICKET_HTML = `query ($id: ID!) { ticket(id: $id) { id description descriptionHtml jobs { comment commentHtml } } }`;
const read = async (who: TestUser, id: string) =>
  (await api.ok<{ ticket: TicketHtml }>(TICKET_HTML, { id }, who.token)).ticket;

const RENDER = 'query ($text: String!) { renderMarkdown(text: $text) }';
const preview = (text: string, token?: string) =>
  api.gql<{ renderMarkdown: string }>(RENDER, { text }, { token });

beforeAll(async () => {
  api = await TestApi.start({}, { captureLogs: true });
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  projectId = await api.createProject(admin, 'Website');
  aliceFirst = await api.createTicket(alice, projectId, { title: 'Login fails' });
  bobs = await api.createTicket(bob, projectId, { title: 'Export is slow' });
  aliceSecond = await api.createTicket(alice, projectId, {
    title: 'Login fails again',
    description: `Like #${aliceFirst}, #${bobs} and #${missing}: **bold**, [docs](https://docs.example/login), https://status.example/today and \`#${aliceFirst}\``,
  });
});
afterAll(() => api.stop());

describe('Ticket.descriptionHtml', () => {
  const rendered = (visible: string[]) => {
    const reference = (id: string) => (visible.includes(id) ? link(id) : `#${id}`);
    return `<p>Like ${reference(aliceFirst)}, ${reference(bobs)} and ${reference(missing)}: <strong>bold</strong>, <a href="https://docs.example/login" rel="nofollow noopener">docs</a>, <a href="https://status.example/today" rel="nofollow noopener">https://status.example/today</a> and <code>#${aliceFirst}</code></p>\n`;
  };

  test("renders the markdown; the author's reference to their own ticket is a link, another user's is text", async () => {
    const ticket = await read(alice, aliceSecond);
    expect(ticket.description).toBe(
      `Like #${aliceFirst}, #${bobs} and #${missing}: **bold**, [docs](https://docs.example/login), https://status.example/today and \`#${aliceFirst}\``,
    );
    // Bob's ticket and a ticket that does not exist read alike: nothing tells them apart.
    expect(ticket.descriptionHtml).toBe(rendered([aliceFirst]));
  });

  test('staff see every existing ticket linked, never a missing one', async () => {
    expect((await read(agent, aliceSecond)).descriptionHtml).toBe(rendered([aliceFirst, bobs]));
    expect((await read(admin, aliceSecond)).descriptionHtml).toBe(rendered([aliceFirst, bobs]));
  });

  test('the same text renders for each reader in one list', async () => {
    const list = `{ tickets(first: 10) { nodes { id descriptionHtml } } }`;
    const byAlice = await api.ok<{ tickets: { nodes: { id: string; descriptionHtml: string }[] } }>(
      list,
      {},
      alice.token,
    );
    expect(byAlice.tickets.nodes.find((node) => node.id === aliceSecond)?.descriptionHtml).toBe(
      rendered([aliceFirst]),
    );
    const byAgent = await api.ok<{ tickets: { nodes: { id: string; descriptionHtml: string }[] } }>(
      list,
      {},
      agent.token,
    );
    expect(byAgent.tickets.nodes.find((node) => node.id === aliceSecond)?.descriptionHtml).toBe(
      rendered([aliceFirst, bobs]),
    );
  });

  test('a hostile description is stored as written and rendered inert', async () => {
    const hostile =
      '<script>alert(1)</script> <img src=x onerror=alert(1)> [a](javascript:alert(1)) <javascript:alert(2)> ![pixel](https://tracker.example/p.gif) [t](https://ok.example "x\\" onmouseover=\\"alert(3)")';
    const id = await api.createTicket(alice, projectId, { title: 'Hostile text', description: hostile });
    const ticket = await read(alice, id);
    expect(ticket.description).toBe(hostile);
    expect(ticket.descriptionHtml).toBe(
      '<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt; [a](javascript:alert(1)) &lt;javascript:alert(2)&gt; <a href="https://tracker.example/p.gif" rel="nofollow noopener">pixel</a> <a href="https://ok.example" title="x&quot; onmouseover=&quot;alert(3)" rel="nofollow noopener">t</a></p>\n',
    );
  });
});

describe('Job.commentHtml', () => {
  let ticketId: string;

  beforeAll(async () => {
    ticketId = await api.createTicket(alice, projectId, { title: 'Comments' });
    await api.ok(
      'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
      {
        id: ticketId,
        input: {
          comment: `Same as #${aliceFirst} and #${bobs}, see _this_:\n\`\`\`\n#${aliceFirst}\n\`\`\``,
        },
      },
      alice.token,
    );
  });

  test('is null for a job without a comment, the rendered comment otherwise, per reader', async () => {
    const expected = (visible: string[]) =>
      `<p>Same as ${link(aliceFirst)} and ${visible.includes(bobs) ? link(bobs) : `#${bobs}`}, see <em>this</em>:</p>\n<pre><code>#${aliceFirst}\n</code></pre>\n`;
    const byAlice = await read(alice, ticketId);
    expect(byAlice.jobs).toEqual([
      { comment: null, commentHtml: null },
      {
        comment: `Same as #${aliceFirst} and #${bobs}, see _this_:\n\`\`\`\n#${aliceFirst}\n\`\`\``,
        commentHtml: expected([aliceFirst]),
      },
    ]);
    expect((await read(agent, ticketId)).jobs[1].commentHtml).toBe(expected([aliceFirst, bobs]));
  });
});

describe('renderMarkdown', () => {
  test('renders for a signed-in user, linking only the tickets they may see', async () => {
    const result = await preview(`**Preview** of #${aliceFirst} and #${bobs}`, alice.token);
    expect(result.errors).toBeUndefined();
    expect(result.data!.renderMarkdown).toBe(
      `<p><strong>Preview</strong> of ${link(aliceFirst)} and #${bobs}</p>\n`,
    );
    expect((await preview(`#${bobs}`, bob.token)).data!.renderMarkdown).toBe(`<p>${link(bobs)}</p>\n`);
  });

  test('refuses an anonymous caller', async () => {
    const result = await preview('**hi**');
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.data ?? null).toBeNull();
  });

  test('refuses a text longer than a description may be, naming text', async () => {
    const result = await preview('a'.repeat(20_001), alice.token);
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions!.invalidFields).toEqual([
      { field: 'text', rule: 'length', message: 'text must be at most 20000 characters long.' },
    ]);
    expect(result.data ?? null).toBeNull();
  });

  test('accepts a text as long as a description may be, counted in characters', async () => {
    expect((await preview('a'.repeat(20_000), alice.token)).data!.renderMarkdown).toBe(
      `<p>${'a'.repeat(20_000)}</p>\n`,
    );
    expect(errorCodes(await preview('😀'.repeat(20_000), alice.token))).toEqual([]);
    expect(errorCodes(await preview('😀'.repeat(20_001), alice.token))).toEqual(['BAD_USER_INPUT']);
  });
});

describe('SQL statements', () => {
  /** The statements one request sent, as its log line reports them. */
  async function statementsOf(who: TestUser, query: string, variables: Record<string, unknown> = {}) {
    await api.ok(query, variables, who.token);
    return api.requestLogs().at(-1)!.sql as number;
  }
  const PAGE = `query ($first: Int) { tickets(first: $first) { nodes { id FIELDS } } }`;

  test('the references of a whole page are looked up at once: one statement per level, whatever its size', async () => {
    for (let index = 0; index < 6; index += 1) {
      const id = await api.createTicket(bob, projectId, {
        title: `Referencing ticket ${index}`,
        description: `See #${aliceFirst}, #${bobs} and #${index + 1}`,
      });
      await api.ok(
        'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
        { id, input: { comment: `Also #${aliceSecond} and #${index + 2}` } },
        bob.token,
      );
    }
    for (const first of [2, 20]) {
      const plain = await statementsOf(agent, PAGE.replace('FIELDS', 'description jobs { comment }'), {
        first,
      });
      expect(
        await statementsOf(agent, PAGE.replace('FIELDS', 'descriptionHtml jobs { comment }'), { first }),
      ).toBe(plain + 1);
      expect(
        await statementsOf(agent, PAGE.replace('FIELDS', 'descriptionHtml jobs { commentHtml }'), { first }),
      ).toBe(plain + 2);
      expect(
        await statementsOf(bob, PAGE.replace('FIELDS', 'descriptionHtml jobs { commentHtml }'), { first }),
      ).toBe(
        (await statementsOf(bob, PAGE.replace('FIELDS', 'description jobs { comment }'), { first })) + 2,
      );
    }
  });

  test('a text without references costs no statement', async () => {
    const id = await api.createTicket(alice, projectId, { title: 'No references', description: '**plain**' });
    const query = 'query ($id: ID!) { ticket(id: $id) { FIELD } }';
    expect(await statementsOf(alice, query.replace('FIELD', 'descriptionHtml'), { id })).toBe(
      await statementsOf(alice, query.replace('FIELD', 'description'), { id }),
    );
  });
});
