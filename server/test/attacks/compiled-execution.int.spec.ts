import { TICKET, TICKETS } from '../support/operations';
import { postRaw, type TwoRuns, twoRuns } from '../support/compiled-runs';
import { type RawResponse, TestApi, type TestUser } from '../support/test-server';

/*
 * An attacker's and a reviewer's probes of compiled execution (compiled-execution.ts): each request is
 * sent twice to a server with the production setting (compiled from a document's second run), and the
 * two raw answers must be identical. Each case gets a comment of its own, so its first run is always
 * graphql-js's. The cases where graphql-jit answered differently (a null @skip/@include condition, the
 * order of a field whose first occurrence is skipped, a null through a defaulted variable into a non-null
 * list item or input field) are why such documents and requests stay with graphql-js.
 */

let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let reporter: TestUser;
let other: TestUser;
let ticketId: string;
let otherTicketId: string;
let projectId: string;
let caseNumber = 0;

beforeAll(async () => {
  api = await TestApi.start({}, { compileFromFirstRun: false });
  ({ admin, agent } = await api.registerAdminAndAgent());
  reporter = await api.register('reporter');
  other = await api.register('other');
  projectId = await api.createProject(admin);
  ticketId = await api.createTicket(reporter, projectId, { title: 'Export **fails** on big files' });
  otherTicketId = await api.createTicket(other, projectId, { title: 'Other one' });
  await api.ok(
    `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
    { id: ticketId, input: { comment: 'Looking into it', status: 'IN_PROGRESS', assigneeId: agent.id } },
    agent.token,
  );
  await api.ok(
    `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
    { id: ticketId, input: { comment: 'Staff only: the disk is full', internal: true } },
    agent.token,
  );
  await api.ok(
    `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
    { id: otherTicketId, input: { status: 'RESOLVED', comment: 'done' } },
    agent.token,
  );
});

afterAll(async () => {
  await api?.stop();
});

const post = (body: Record<string, unknown>, token?: string) => postRaw(api, body, token);

async function twice(
  query: string,
  variables: Record<string, unknown> | undefined,
  token?: string,
  operationName?: string | null,
): Promise<TwoRuns> {
  caseNumber += 1;
  const body: Record<string, unknown> = { query: `${query}\n# review case ${caseNumber}\n` };
  if (variables !== undefined) body.variables = variables;
  if (operationName !== undefined) body.operationName = operationName;
  return twoRuns(api, body, token);
}

/**
 * The answer with its errors in path order: resolvers that run side by side (two tickets looked up at
 * once) report in the order they finish, on either path; everything else is kept byte for byte.
 */
function comparable(response: RawResponse): string {
  if (!response.json?.errors) return response.text;
  const errors = [...(response.json.errors as { path?: unknown }[])].sort((a, b) =>
    JSON.stringify(a.path ?? null).localeCompare(JSON.stringify(b.path ?? null)),
  );
  return JSON.stringify({ ...response.json, errors });
}

/** The compiled run answers exactly as graphql-js did: status, data and every error. */
function same(probe: TwoRuns, label = ''): void {
  expect({ label, status: probe.second.status, text: comparable(probe.second) }).toEqual({
    label,
    status: probe.first.status,
    text: comparable(probe.first),
  });
}

async function check(
  label: string,
  query: string,
  variables: Record<string, unknown> | undefined,
  token?: string,
  operationName?: string | null,
): Promise<TwoRuns> {
  const probe = await twice(query, variables, token, operationName);
  same(probe, label);
  return probe;
}

const LIST = `tickets(first: 10) { totalCount nodes { id title } }`;

describe('variables inside literal input objects', () => {
  test('filter: { search: $s } with $s omitted', async () => {
    await check(
      'search omitted',
      `query ($s: String) { tickets(filter: { search: $s }) { totalCount nodes { id } } }`,
      {},
      admin.token,
    );
  });
  test('filter: { status: $st } with $st omitted', async () => {
    await check(
      'status omitted',
      `query ($st: [TicketStatus!]) { tickets(filter: { status: $st }) { totalCount } }`,
      {},
      admin.token,
    );
  });
  test('filter: { projectId: $p, open: $o, unassigned: $u } omitted', async () => {
    await check(
      'several omitted',
      `query ($p: ID, $o: Boolean, $u: Boolean) { tickets(filter: { projectId: $p, open: $o, unassigned: $u }) { totalCount } }`,
      {},
      admin.token,
    );
  });
  test('filter: { createdAfter: $d } omitted, given', async () => {
    const q = `query ($d: DateTimeISO) { tickets(filter: { createdAfter: $d }) { totalCount } }`;
    await check('date omitted', q, {}, admin.token);
    await check('date given', q, { d: '2000-01-01T00:00:00Z' }, admin.token);
    await check('date bad', q, { d: 'yesterday' }, admin.token);
  });
  test('history(filter: { ticketId: $t }) omitted', async () => {
    await check(
      'history omitted',
      `query ($t: ID) { history(filter: { ticketId: $t }) { totalCount nodes { id internal comment } } }`,
      {},
      reporter.token,
    );
  });
  test('orderBy literal with variable direction', async () => {
    await check(
      'order dir',
      `query ($d: OrderDirection!) { tickets(orderBy: { field: PRIORITY, direction: $d }) { nodes { id } } }`,
      { d: 'ASC' },
      admin.token,
    );
  });
  test('status list with a single literal and a variable item', async () => {
    await check(
      'list item var',
      `query ($s: TicketStatus!) { tickets(filter: { status: [$s, OPEN] }) { totalCount } }`,
      { s: 'RESOLVED' },
      admin.token,
    );
    await check(
      'single as list',
      `query { tickets(filter: { status: RESOLVED }) { totalCount } }`,
      undefined,
      admin.token,
    );
    await check(
      'single var as list',
      `query ($f: TicketFilter) { tickets(filter: $f) { totalCount } }`,
      { f: { status: 'RESOLVED' } },
      admin.token,
    );
  });
});

describe('arguments and variables', () => {
  test('first omitted, null, with default, given', async () => {
    const q = `query ($first: Int) { tickets(first: $first) { totalCount nodes { id } } }`;
    await check('first omitted', q, {}, admin.token);
    await check('first null', q, { first: null }, admin.token);
    await check('no variables key', q, undefined, admin.token);
    const d = `query ($first: Int = 1) { tickets(first: $first) { totalCount nodes { id } } }`;
    await check('first default omitted', d, {}, admin.token);
    await check('first default null', d, { first: null }, admin.token);
    await check('first 0', q, { first: 0 }, admin.token);
  });
  test('IDs as numbers and strings', async () => {
    await check('id number', TICKET, { id: Number(ticketId) }, admin.token);
    await check('id string', TICKET, { id: ticketId }, admin.token);
    await check('id float', TICKET, { id: 1.5 }, admin.token);
    await check('id big', TICKET, { id: 1e21 }, admin.token);
    await check('id padded', TICKET, { id: ` ${ticketId}` }, admin.token);
    await check('id literal int', `{ ticket(id: ${ticketId}) { id } }`, undefined, admin.token);
    await check('id negative', TICKET, { id: -1 }, admin.token);
  });
  test('enums in variables and literals', async () => {
    await check('enum var', TICKETS, { orderBy: { field: 'PRIORITY', direction: 'DESC' } }, admin.token);
    await check('enum var bad', TICKETS, { orderBy: { field: 'priority', direction: 'DESC' } }, admin.token);
    await check(
      'enum literal',
      `{ tickets(orderBy: { field: STATUS, direction: ASC }) { nodes { id status priority category } } }`,
      undefined,
      admin.token,
    );
  });
  test('extra undeclared variables, unknown input fields', async () => {
    await check('extra vars', `query { me { id } }`, { extra: 1 }, admin.token);
    await check('unknown field', TICKETS, { filter: { nope: 1 } }, admin.token);
    await check(
      'proto field',
      `query ($f: TicketFilter) { tickets(filter: $f) { totalCount } }`,
      JSON.parse('{"f": {"__proto__": {"open": true}}}'),
      admin.token,
    );
  });
  test('NUL in variables and literals', async () => {
    await check(
      'nul var',
      `query ($f: TicketFilter) { tickets(filter: $f) { totalCount } }`,
      { f: { search: 'a\u0000b' } },
      admin.token,
    );
    await check(
      'nul literal',
      `{ tickets(filter: { search: "a\\u0000b" }) { totalCount } }`,
      undefined,
      admin.token,
    );
    await check(
      'nul nested var',
      `query ($s: String) { tickets(filter: { search: $s }) { totalCount } }`,
      { s: 'x\u0000' },
      admin.token,
    );
  });
  test('search too long', async () => {
    await check(
      'search long',
      `query ($f: TicketFilter) { tickets(filter: $f) { totalCount } }`,
      { f: { search: 'x'.repeat(300) } },
      admin.token,
    );
    await check(
      'search long nested',
      `query ($s: String) { tickets(filter: { search: $s }) { totalCount } }`,
      { s: 'x'.repeat(300) },
      admin.token,
    );
  });
});

describe('directives', () => {
  test('@include/@skip with variables on fields, inline fragments, spreads', async () => {
    const q = `query ($a: Boolean!, $b: Boolean = false) {
      me { id username @include(if: $a) role @skip(if: $b) }
      ... on Query @include(if: $a) { projects { id } }
      ...F @skip(if: $a)
    }
    fragment F on Query { assignees { id } }`;
    await check('dir tt', q, { a: true, b: true }, admin.token);
    await check('dir ff', q, { a: false }, admin.token);
    await check('dir null default', q, { a: true, b: null }, admin.token);
  });
  test('same field included twice, once skipped', async () => {
    await check(
      'merged skip',
      `query ($a: Boolean!) { me { id } me @include(if: $a) { username } me @skip(if: $a) { role } }`,
      { a: true },
      admin.token,
    );
  });
  test('skip inside fragment spread inside list', async () => {
    await check(
      'list spread skip',
      `query ($x: Boolean!) { tickets { nodes { ...T } } } fragment T on Ticket { id jobs @skip(if: $x) { id internal } author @include(if: $x) { id } }`,
      { x: false },
      reporter.token,
    );
  });
});

describe('shape: aliases, typename, introspection', () => {
  test('aliases with different arguments', async () => {
    await check(
      'aliases',
      `{ a: ticket(id: ${ticketId}) { id t: title } b: ticket(id: ${otherTicketId}) { id } c: ticket(id: 999999) { id } d: tickets(first: 1) { nodes { id } } e: tickets(first: 2) { nodes { id } } }`,
      undefined,
      reporter.token,
    );
  });
  test('__typename everywhere', async () => {
    await check(
      'typename',
      `{ __typename me { __typename id } tickets { __typename nodes { __typename id jobs { __typename } } pageInfo { __typename } } }`,
      undefined,
      admin.token,
    );
  });
  test('introspection', async () => {
    await check(
      '__type',
      `{ __type(name: "Ticket") { name kind fields { name type { name kind ofType { name kind } } args { name defaultValue } } } }`,
      undefined,
    );
    await check(
      '__schema',
      `{ __schema { queryType { name } mutationType { name } subscriptionType { name } types { name kind enumValues { name } inputFields { name defaultValue } } directives { name locations args { name } } } }`,
      undefined,
    );
    await check('__type null', `{ __type(name: "Nope") { name } }`, undefined);
    await check('__type var', `query ($n: String!) { __type(name: $n) { name } }`, { n: 'Role' });
  });
});

describe('access rules and errors', () => {
  test('a USER reading a ticket with internal notes, and another user’s ticket', async () => {
    await check('reporter own', TICKET, { id: ticketId }, reporter.token);
    await check('other ticket', TICKET, { id: ticketId }, other.token);
    await check(
      'list nested',
      `{ tickets { nodes { id jobs { internal comment ticket { id jobs { internal comment } } } } } }`,
      undefined,
      reporter.token,
    );
    await check(
      'history user',
      `{ history { nodes { id internal comment ticket { id } } } }`,
      reporter.token ? undefined : undefined,
      reporter.token,
    );
  });
  test('admin-only fields inside a query answered partly', async () => {
    await check('users as user', `{ me { id } users { id email } }`, undefined, reporter.token);
    await check('nullable error', `{ me { id } ticket(id: ${ticketId}) { id } }`, undefined, other.token);
    await check(
      'two errors',
      `{ a: ticket(id: ${ticketId}) { id } b: ticket(id: 999999) { id } me { id } }`,
      undefined,
      other.token,
    );
    await check(
      'merged locations',
      `{ ticket(id: ${ticketId}) { id } ticket(id: ${ticketId}) { title } }`,
      undefined,
      other.token,
    );
    await check('outbox as agent', `{ outbox { totalCount } }`, undefined, agent.token);
    await check('webhooks as user', `{ webhooks { id } me { id } }`, undefined, reporter.token);
    await check('anonymous', `{ me { id } projects { id } }`, undefined);
    await check('archived as user', `{ projects(includeArchived: true) { id } }`, undefined, reporter.token);
    await check('first 0 with me', `{ me { id } tickets(first: 0) { totalCount } }`, undefined, admin.token);
    await check(
      'first 1000 nested',
      `{ me { id } tickets(first: 1000) { totalCount } }`,
      undefined,
      admin.token,
    );
    await check('bad cursor', `{ tickets(after: "garbage") { totalCount } }`, undefined, admin.token);
    await check('history bad first', `{ history(first: 0) { totalCount } }`, undefined, admin.token);
  });
  test('email and other per-viewer fields', async () => {
    await check(
      'emails',
      `{ tickets { nodes { author { id email notifyByEmail emailVerified notifyNewTickets } assignee { email } } } }`,
      undefined,
      other.token,
    );
    await check('assignees as user', `{ assignees { id } }`, undefined, reporter.token);
  });
  test('stats', async () => {
    await check(
      'stats',
      `{ stats { total open closed byStatus { key count } perWeek { weekStart opened closed } perDay { day opened } medianHoursToClose byAssignee { key count } } }`,
      undefined,
      admin.token,
    );
    await check(
      'stats user',
      `{ stats { total medianHoursToClose byAssignee { key } } }`,
      undefined,
      reporter.token,
    );
    await check(
      'stats bad range',
      `query ($f: DateTimeISO, $t: DateTimeISO) { stats(from: $f, to: $t) { total } }`,
      { f: '2030-01-01T00:00:00Z', t: '2020-01-01T00:00:00Z' },
      admin.token,
    );
    await check('stats bad project', `{ stats(projectId: "abc") { total } }`, undefined, admin.token);
  });
  test('bad id formats', async () => {
    await check('ticket id abc', TICKET, { id: 'abc' }, admin.token);
    await check('ticket id huge', TICKET, { id: '99999999999999999999999' }, admin.token);
    await check(
      'project id',
      `query ($id: ID!) { project(id: $id) { id name openTicketCount } }`,
      { id: 'x' },
      admin.token,
    );
  });
});

describe('operation selection', () => {
  const doc = `query A { me { id } } query B { me { username } } mutation C { logout }`;
  test('operationName among several operations', async () => {
    await check('op A', doc, undefined, admin.token, 'A');
    await check('op B', doc, undefined, admin.token, 'B');
    await check('op missing', doc, undefined, admin.token, 'Z');
    await check('op none', doc, undefined, admin.token);
  });
  test('empty or null operationName', async () => {
    await check('op empty', `query Q { me { id } }`, undefined, admin.token, '');
    await check('op null', `query Q { me { id } }`, undefined, admin.token, null);
    await check('op anon empty', `{ me { id } }`, undefined, admin.token, '');
  });
  test('same document, alternating names', async () => {
    const text = `query A { me { id } } query B { projects { id } }\n# alternate`;
    for (const name of ['A', 'B', 'A', 'B']) {
      const answer = await post({ query: text, operationName: name }, admin.token);
      expect(Object.keys(answer.json.data)).toEqual([name === 'A' ? 'me' : 'projects']);
    }
  });
});

describe('limits', () => {
  test('deep nesting and many aliases', async () => {
    let deep = 'id';
    for (let n = 0; n < 8; n += 1) deep = `jobs { ticket { ${deep} } }`;
    await check('deep', `{ ticket(id: ${ticketId}) { ${deep} } }`, undefined, admin.token);
    const aliases = Array.from({ length: 30 }, (_, n) => `a${n}: me { id }`).join(' ');
    await check('aliases', `{ ${aliases} }`, undefined, admin.token);
    await check('list', LIST.replace('first: 10', 'first: 100'), undefined, admin.token);
  });
});

describe('directives, reduced and combined', () => {
  test('null given to a defaulted Boolean used in @skip/@include', async () => {
    await check(
      'min skip null nested',
      `query ($b: Boolean = false) { me { id role @skip(if: $b) } }`,
      { b: null },
      admin.token,
    );
    await check(
      'min skip null root',
      `query ($b: Boolean = false) { me @skip(if: $b) { id } }`,
      { b: null },
      admin.token,
    );
    await check(
      'min include null root',
      `query ($b: Boolean = true) { me @include(if: $b) { id } }`,
      { b: null },
      admin.token,
    );
    await check(
      'min include null fragment',
      `query ($b: Boolean = true) { me { id ... @include(if: $b) { role } } }`,
      { b: null },
      admin.token,
    );
    await check(
      'min include null spread',
      `query ($b: Boolean = true) { me { id ...R @include(if: $b) } } fragment R on User { role }`,
      { b: null },
      admin.token,
    );
  });
  test('same field, merged from several places with different directives', async () => {
    for (const x of [true, false]) {
      await check(
        `merge1 ${x}`,
        `query ($x: Boolean!) { me { ...A ...B } } fragment A on User { id @include(if: $x) role } fragment B on User { id }`,
        { x },
        admin.token,
      );
      await check(
        `merge2 ${x}`,
        `query ($x: Boolean!) { me @include(if: $x) { id } me { username } }`,
        { x },
        admin.token,
      );
      await check(
        `merge3 ${x}`,
        `query ($x: Boolean!) { ticket(id: ${ticketId}) { author { id } ... @include(if: $x) { author { username } } } }`,
        { x },
        admin.token,
      );
      await check(
        `merge4 ${x}`,
        `query ($x: Boolean!) { tickets { nodes { id @skip(if: $x) } } tickets { nodes { title } } }`,
        { x },
        admin.token,
      );
      await check(
        `merge5 ${x}`,
        `query ($x: Boolean!) { tickets { nodes { author @skip(if: $x) { id } author { username } } } }`,
        { x },
        admin.token,
      );
      await check(
        `merge6 ${x}`,
        `query ($x: Boolean!) { tickets { nodes { ... @skip(if: $x) { jobs { id } } jobs { comment } } } }`,
        { x },
        admin.token,
      );
      await check(
        `merge7 ${x}`,
        `query ($x: Boolean!) { me { ... @include(if: $x) { ... @skip(if: $x) { id } } username } }`,
        { x },
        admin.token,
      );
      await check(
        `merge8 ${x}`,
        `query ($x: Boolean!) { a: me @include(if: $x) { id } a: me @skip(if: $x) { id } }`,
        { x },
        admin.token,
      );
      await check(
        `merge9 ${x}`,
        `query ($x: Boolean!) { me { id @skip(if: $x) @include(if: $x) } }`,
        { x },
        admin.token,
      );
    }
  });
});

describe('field order', () => {
  test('a field whose first occurrence is skipped', async () => {
    await check(
      'order min',
      `query ($x: Boolean!) { me { id @include(if: $x) role id } }`,
      { x: false },
      admin.token,
    );
    await check('order literal', `{ me { id @include(if: false) role id } }`, undefined, admin.token);
    await check(
      'order fragment',
      `query ($x: Boolean!) { me { ... @include(if: $x) { id } role id } }`,
      { x: false },
      admin.token,
    );
    await check(
      'order root',
      `query ($x: Boolean!) { me @skip(if: $x) { id } projects { id } me { id } }`,
      { x: true },
      admin.token,
    );
  });
});

describe('null into non-null positions, through a defaulted variable', () => {
  test('argument, list item, input field', async () => {
    await check('arg id null', `query ($id: ID = "1") { ticket(id: $id) { id } }`, { id: null }, admin.token);
    await check('arg id omitted', `query ($id: ID = "1") { ticket(id: $id) { id } }`, {}, admin.token);
    await check(
      '__type null',
      `query ($n: String = "Role") { __type(name: $n) { name } }`,
      { n: null },
      admin.token,
    );
    await check(
      'list item null',
      `query ($s: TicketStatus = OPEN) { tickets(filter: { status: [$s] }) { totalCount } }`,
      { s: null },
      admin.token,
    );
    await check(
      'order field null',
      `query ($f: TicketOrderField = ID) { tickets(orderBy: { field: $f, direction: ASC }) { nodes { id } } }`,
      { f: null },
      admin.token,
    );
    await check(
      'order dir null',
      `query ($d: OrderDirection = ASC) { tickets(orderBy: { field: ID, direction: $d }) { nodes { id } } }`,
      { d: null },
      admin.token,
    );
    await check(
      'order both null',
      `query ($f: TicketOrderField = ID, $d: OrderDirection = ASC) { me { id } tickets(orderBy: { field: $f, direction: $d }) { nodes { id } } }`,
      { f: null, d: null },
      admin.token,
    );
    await check(
      'priority item null',
      `query ($p: Priority = LOW) { tickets(filter: { priority: [$p, HIGH] }) { totalCount } }`,
      { p: null },
      admin.token,
    );
    await check(
      'category item null',
      `query ($c: TicketCategory = BUG) { tickets(filter: { category: [$c] }) { totalCount } }`,
      { c: null },
      admin.token,
    );
    await check(
      'status item null user',
      `query ($s: TicketStatus = OPEN) { tickets(filter: { status: [$s] }) { totalCount nodes { id } } }`,
      { s: null },
      reporter.token,
    );
  });
});

describe('refusals graphql-js makes while executing', () => {
  test('a null through a defaulted variable where none may be is BAD_USER_INPUT naming the argument, never logged as a fault', async () => {
    const logged = await TestApi.start({}, { compileFromFirstRun: false, captureLogs: true });
    try {
      const user = await logged.register('admin');
      const cases = [
        {
          query: `query ($f: TicketOrderField = ID) { tickets(orderBy: { field: $f, direction: ASC }) { nodes { id } } }`,
          variables: { f: null },
          argument: 'orderBy',
        },
        {
          query: `query ($b: Boolean = true) { me { id role @include(if: $b) } }`,
          variables: { b: null },
          argument: 'if',
        },
      ];
      for (const { query, variables, argument } of cases) {
        for (const run of [1, 2]) {
          const answer = await logged.http('/graphql', {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
            body: JSON.stringify({ query, variables }),
          });
          expect({ argument, run, status: answer.status }).toEqual({ argument, run, status: 200 });
          expect(answer.json.errors).toEqual([
            expect.objectContaining({
              message: `Argument "${argument}" has an invalid value.`,
              extensions: {
                code: 'BAD_USER_INPUT',
                invalidFields: [
                  {
                    field: argument,
                    rule: 'invalid',
                    message: `Argument "${argument}" has an invalid value.`,
                  },
                ],
              },
            }),
          ]);
        }
      }
      expect(logged.logs.filter((line) => line.msg === 'unexpected error')).toEqual([]);
    } finally {
      await logged.stop();
    }
  });
});

/** A chain of fragments, each spreading the next at two response paths: 2^n paths once expanded. */
function fragmentChain(n: number): string {
  const fragments: string[] = [];
  for (let k = 1; k < n; k += 1)
    fragments.push(`fragment F${k} on __Type { ofType { ...F${k + 1} } interfaces { ...F${k + 1} } }`);
  fragments.push(`fragment F${n} on __Type { name }`);
  return fragments.join('\n');
}

describe('documents too large to compile', () => {
  test.each([8, 14])(
    '__schema { subscriptionType } with a chain of %i fragments (2^n paths once expanded)',
    async (n) => {
      const probe = await twice(
        `{ __schema { subscriptionType { ...F1 } } }\n${fragmentChain(n)}`,
        undefined,
        admin.token,
      );
      same(probe, `chain ${n}`);
      expect(probe.secondCompiled).toBe(false);
    },
  );
});

describe('odds and ends', () => {
  test('variables null or an array, fragments and error locations', async () => {
    await check(
      'variables null',
      `query ($f: Int) { tickets(first: $f) { totalCount } }`,
      null as unknown as undefined,
      admin.token,
    );
    await check(
      'variables array',
      `query ($f: Int) { tickets(first: $f) { totalCount } }`,
      [] as unknown as undefined,
      admin.token,
    );
    await check('variables array no defs', `{ me { id } }`, [1] as unknown as undefined, admin.token);
    await check(
      'error in fragment',
      `{ ...Q me { id } } fragment Q on Query { ticket(id: ${ticketId}) { id } }`,
      undefined,
      other.token,
    );
    await check(
      'error in two fragments',
      `{ ...Q ...R } fragment Q on Query { ticket(id: ${ticketId}) { id } } fragment R on Query { ticket(id: ${ticketId}) { title } }`,
      undefined,
      other.token,
    );
    await check(
      'typename skip',
      `query ($x: Boolean!) { __typename @skip(if: $x) me { __typename @include(if: $x) id } }`,
      { x: true },
      admin.token,
    );
    await check(
      'date number',
      `query ($d: DateTimeISO) { stats(from: $d) { total } }`,
      { d: 0 },
      admin.token,
    );
    await check(
      'date object',
      `query ($d: DateTimeISO) { stats(from: $d) { total } }`,
      { d: {} },
      admin.token,
    );
    await check(
      'includeDeprecated null',
      `query ($d: Boolean = false) { __type(name: "Ticket") { fields(includeDeprecated: $d) { name } } }`,
      { d: null },
    );
    await check(
      'history user other ticket',
      `query ($t: ID) { history(filter: { ticketId: $t }) { totalCount nodes { id comment internal } } }`,
      { t: ticketId },
      other.token,
    );
    await check(
      'history reporter',
      `query ($t: ID) { history(filter: { ticketId: $t }) { totalCount nodes { id comment internal } } }`,
      { t: ticketId },
      reporter.token,
    );
    await check('project null', `{ project(id: 999) { id } me { id } }`, undefined, reporter.token);
  });
});

describe('compiling cannot be turned against the service', () => {
  test('a large document (every field, jobs.ticket twice, 16 aliases) runs in graphql-js, whatever its run', async () => {
    const user = `id username role locale createdAt email notifyByEmail emailVerified notifyNewTickets`;
    const scalars = `id title description status priority category createdAt updatedAt closedAt project { id name description archived createdAt openTicketCount } author { ${user} } assignee { ${user} }`;
    let inner = scalars;
    for (let n = 0; n < 2; n += 1)
      inner = `${scalars} jobs { id createdAt comment internal status changes { field from to } author { ${user} } ticket { ${inner} } }`;
    const aliases = Array.from({ length: 16 }, (_, n) => `t${n}: ticket(id: ${999990 + n}) { ...T }`).join(
      ' ',
    );
    const probe = await twice(`{ ${aliases} } fragment T on Ticket { ${inner} }`, undefined, admin.token);
    same(probe, 'large');
    expect(probe.secondCompiled).toBe(false);
  });
});
