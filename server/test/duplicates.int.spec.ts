import { TestApi, errorCodes, type GraphQLResponse, type TestUser } from './support/test-server';

/**
 * Duplicates (issue 12): staff close a ticket as a duplicate of another, Ticket.duplicateOf names it to
 * those who may see it, Ticket.possibleDuplicates suggests open look-alikes to staff, and similarTickets
 * shows a reporter their own look-alikes while they type. On SQLite (FTS5) and PostgreSQL (tsvector).
 */
let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let projectId: string;
let otherProjectId: string;

beforeAll(async () => {
  api = await TestApi.start();
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  projectId = await api.createProject(admin, 'Printers');
  otherProjectId = await api.createProject(admin, 'Airships');
});
afterAll(() => api.stop());

interface ChangeView {
  field: string;
  from: string | null;
  to: string | null;
}
interface DuplicateView {
  id: string;
  status: string;
  closedAt: string | null;
  duplicateOf: { id: string } | null;
  jobs: { comment: string | null; changes: ChangeView[] }[];
}

const FIELDS = 'id status closedAt duplicateOf { id } jobs { comment changes { field from to } }';
const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { ${FIELDS} } }`;
const READ = `query ($id: ID!) { ticket(id: $id) { ${FIELDS} } }`;
const POSSIBLE = `query ($id: ID!) { ticket(id: $id) { possibleDuplicates { id } } }`;
const SIMILAR = `query ($text: String!, $projectId: ID, $first: Int) {
  similarTickets(text: $text, projectId: $projectId, first: $first) { id title }
}`;

const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.gql<{ updateTicket: DuplicateView }>(UPDATE, { id, input }, { token: who.token });
const read = async (who: TestUser, id: string) =>
  (await api.ok<{ ticket: DuplicateView }>(READ, { id }, who.token)).ticket;
const ticket = (who: TestUser, title: string, description = 'Seen this morning.', project = projectId) =>
  api.createTicket(who, project, { title, description });
const similar = (who: TestUser, variables: Record<string, unknown>) =>
  api.gql<{ similarTickets: { id: string; title: string }[] }>(SIMILAR, variables, { token: who.token });
const similarIds = async (who: TestUser, variables: Record<string, unknown>) => {
  const result = await similar(who, variables);
  expect(result.errors).toBeUndefined();
  return result.data!.similarTickets.map((found) => found.id);
};
const invalidFields = (result: GraphQLResponse) =>
  (result.errors?.[0]?.extensions?.invalidFields as { field: string; rule: string }[] | undefined)?.map(
    ({ field, rule }) => ({ field, rule }),
  );

describe('closing as a duplicate', () => {
  test('staff close a ticket as a duplicate: CLOSED, closedAt, one job with both changes and the comment', async () => {
    const original = await ticket(agent, 'Toner smears on every page');
    const copy = await ticket(alice, 'Toner smears pages');
    const result = await update(agent, copy, {
      duplicateOfId: original,
      comment: 'Same as the first report.',
    });
    expect(result.errors).toBeUndefined();
    const closed = result.data!.updateTicket;
    expect(closed).toMatchObject({ status: 'CLOSED', duplicateOf: { id: original } });
    expect(closed.closedAt).not.toBeNull();
    expect(closed.jobs).toHaveLength(2);
    expect(closed.jobs[1]).toEqual({
      comment: 'Same as the first report.',
      changes: [
        { field: 'duplicateOf', from: null, to: original },
        { field: 'status', from: 'OPEN', to: 'CLOSED' },
      ],
    });
    // Read again (as the loaders build tickets): staff see the target; the reporter may not see an
    // agent's ticket, so for them it is null.
    expect((await read(agent, copy)).duplicateOf).toEqual({ id: original });
    expect((await read(alice, copy)).duplicateOf).toBeNull();
  });

  test('a USER cannot close as a duplicate, even their own ticket as their own: FORBIDDEN, nothing changed', async () => {
    const first = await ticket(alice, 'Paper tray squeaks');
    const second = await ticket(alice, 'Paper tray squeaks loudly');
    const before = await api.snapshot();
    const result = await update(alice, second, { duplicateOfId: first });
    expect(errorCodes(result)).toEqual(['FORBIDDEN']);
    expect(await api.snapshot()).toEqual(before);
    expect(await read(alice, second)).toMatchObject({ status: 'OPEN', duplicateOf: null, closedAt: null });
  });

  test('a USER is answered alike for a ticket of someone else and for no ticket at all', async () => {
    const own = await ticket(alice, 'Scanner lid hinge');
    const bobs = await ticket(bob, 'Scanner lid hinge broke');
    const someoneElses = await update(alice, own, { duplicateOfId: bobs });
    const nobodys = await update(alice, own, { duplicateOfId: '987654' });
    expect(errorCodes(someoneElses)).toEqual(['FORBIDDEN']);
    expect(someoneElses.errors).toEqual(nobodys.errors);
  });

  test('a ticket is not a duplicate of itself: BAD_USER_INPUT naming duplicateOfId, nothing changed', async () => {
    const id = await ticket(alice, 'Fuser too hot');
    const before = await api.snapshot();
    const result = await update(agent, id, { duplicateOfId: id, comment: 'Closing.' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(result)).toEqual([{ field: 'duplicateOfId', rule: 'invalid' }]);
    expect(await api.snapshot()).toEqual(before);
    expect(await read(agent, id)).toMatchObject({ status: 'OPEN', duplicateOf: null });
  });

  test('no cycle: a ticket whose chain of duplicates leads back is refused, nothing changed', async () => {
    const [p, q, r] = [
      await ticket(agent, 'Drum unit A'),
      await ticket(agent, 'Drum unit B'),
      await ticket(agent, 'Drum unit C'),
    ];
    expect((await update(agent, p, { duplicateOfId: q })).errors).toBeUndefined();
    expect((await update(agent, q, { duplicateOfId: r })).errors).toBeUndefined();
    const before = await api.snapshot();
    for (const [id, target] of [
      [q, p],
      [r, p],
      [r, q],
    ]) {
      const result = await update(agent, id, { duplicateOfId: target });
      expect({ id, target, codes: errorCodes(result), fields: invalidFields(result) }).toEqual({
        id,
        target,
        codes: ['BAD_USER_INPUT'],
        fields: [{ field: 'duplicateOfId', rule: 'invalid' }],
      });
    }
    expect(await api.snapshot()).toEqual(before);
    expect((await read(agent, r)).duplicateOf).toBeNull();
  });

  test('an unknown target is NOT_FOUND in the words of any unknown ticket, nothing changed', async () => {
    const id = await ticket(alice, 'Cartridge not recognised');
    const before = await api.snapshot();
    const result = await update(agent, id, { duplicateOfId: '987654' });
    const unknownTicket = await api.gql(READ, { id: '987654' }, { token: agent.token });
    expect(errorCodes(result)).toEqual(['NOT_FOUND']);
    expect(result.errors?.[0]?.message).toBe(unknownTicket.errors?.[0]?.message);
    expect(await api.snapshot()).toEqual(before);
    const malformed = await update(agent, id, { duplicateOfId: 'x1' });
    expect(invalidFields(malformed)).toEqual([{ field: 'duplicateOfId', rule: 'format' }]);
  });

  test('a duplicate is CLOSED: another status with duplicateOfId is refused', async () => {
    const [a, b] = [await ticket(agent, 'Stapler jams'), await ticket(agent, 'Stapler jammed')];
    const result = await update(agent, b, { duplicateOfId: a, status: 'IN_PROGRESS' });
    expect(invalidFields(result)).toEqual([{ field: 'status', rule: 'invalid' }]);
    const closing = await update(agent, b, { duplicateOfId: a, status: 'CLOSED' });
    expect(closing.data?.updateTicket.jobs.at(-1)?.changes).toEqual([
      { field: 'status', from: 'OPEN', to: 'CLOSED' },
      { field: 'duplicateOf', from: null, to: a },
    ]);
  });

  test('a reader who cannot see the target gets duplicateOf null; reopening clears it, in the job', async () => {
    const bobs = await ticket(bob, 'Label printer skips labels');
    const alices = await ticket(alice, 'Label printer skipping');
    expect((await update(agent, alices, { duplicateOfId: bobs })).errors).toBeUndefined();
    expect((await read(agent, alices)).duplicateOf).toEqual({ id: bobs });
    expect((await read(alice, alices)).duplicateOf).toBeNull();
    const reopened = await update(alice, alices, { status: 'OPEN', comment: 'Not the same: mine is USB.' });
    expect(reopened.errors).toBeUndefined();
    expect(reopened.data!.updateTicket).toMatchObject({ status: 'OPEN', closedAt: null, duplicateOf: null });
    expect(reopened.data!.updateTicket.jobs.at(-1)?.changes).toEqual([
      { field: 'status', from: 'CLOSED', to: 'OPEN' },
      { field: 'duplicateOf', from: bobs, to: null },
    ]);
    expect((await read(agent, alices)).duplicateOf).toBeNull();
  });
});

describe('possibleDuplicates', () => {
  let source: string;
  let best: string;
  let done: string[];

  beforeAll(async () => {
    source = await ticket(
      alice,
      'Zeppelin mooring mast collapses',
      'The mast bends in strong wind.',
      otherProjectId,
    );
    best = await ticket(bob, 'Zeppelin mooring mast collapsed', 'Mast bends, wind.', otherProjectId);
    for (let index = 0; index < 6; index += 1) {
      await ticket(agent, `Hangar door ${index}`, `Unrelated, but a zeppelin waits outside.`, otherProjectId);
    }
    done = [
      await ticket(
        agent,
        'Zeppelin mooring mast collapses',
        'The mast bends in strong wind.',
        otherProjectId,
      ),
      await ticket(agent, 'Zeppelin mooring mast collapses again', 'The mast bends in wind.', otherProjectId),
    ];
    expect((await update(agent, done[0], { status: 'CLOSED' })).errors).toBeUndefined();
    expect((await update(agent, done[1], { status: 'RESOLVED' })).errors).toBeUndefined();
  });

  test('a USER gets null, even on their own ticket', async () => {
    const data = await api.ok<{ ticket: { possibleDuplicates: null } }>(
      POSSIBLE,
      { id: source },
      alice.token,
    );
    expect(data.ticket.possibleDuplicates).toBeNull();
  });

  test('staff get at most 5 open look-alikes, best first, not the ticket itself nor done ones', async () => {
    for (const who of [agent, admin]) {
      const data = await api.ok<{ ticket: { possibleDuplicates: { id: string }[] } }>(
        POSSIBLE,
        { id: source },
        who.token,
      );
      const ids = data.ticket.possibleDuplicates.map((found) => found.id);
      expect(ids).toHaveLength(5);
      expect(ids[0]).toBe(best);
      expect(ids).not.toContain(source);
      for (const id of done) expect(ids).not.toContain(id);
    }
  });

  test('a ticket closed as a duplicate of this one is not suggested again', async () => {
    const lone = await ticket(agent, 'Gondola window fogs', 'Condensation inside.', otherProjectId);
    const copy = await ticket(agent, 'Gondola window fogs up', 'Condensation.', otherProjectId);
    const before = await api.ok<{ ticket: { possibleDuplicates: { id: string }[] } }>(
      POSSIBLE,
      { id: lone },
      agent.token,
    );
    expect(before.ticket.possibleDuplicates.map((found) => found.id)).toEqual([copy]);
    expect((await update(agent, copy, { duplicateOfId: lone })).errors).toBeUndefined();
    const after = await api.ok<{ ticket: { possibleDuplicates: { id: string }[] } }>(
      POSSIBLE,
      { id: lone },
      agent.token,
    );
    expect(after.ticket.possibleDuplicates).toEqual([]);
  });
});

describe('similarTickets', () => {
  let alicesBest: string;
  let alicesOther: string;
  let bobsBest: string;

  beforeAll(async () => {
    alicesOther = await ticket(
      alice,
      'Propeller vibration',
      'The propeller of the blimp hums.',
      otherProjectId,
    );
    alicesBest = await ticket(
      alice,
      'Blimp propeller vibration at speed',
      'Blimp propeller vibration.',
      otherProjectId,
    );
    bobsBest = await ticket(
      bob,
      'Blimp propeller vibration at speed',
      'Blimp propeller vibration.',
      otherProjectId,
    );
  });

  test('a USER sees only their own tickets, best first', async () => {
    expect(await similarIds(alice, { text: 'blimp propeller vibration speed' })).toEqual([
      alicesBest,
      alicesOther,
    ]);
    expect(await similarIds(bob, { text: 'blimp propeller vibration speed' })).toEqual([bobsBest]);
  });

  test('staff see every ticket; first and projectId narrow', async () => {
    const all = await similarIds(agent, { text: 'blimp propeller vibration speed' });
    expect(all.slice(0, 2).sort()).toEqual([alicesBest, bobsBest].sort());
    expect(all[2]).toBe(alicesOther);
    expect(await similarIds(agent, { text: 'blimp propeller vibration speed', first: 1 })).toHaveLength(1);
    expect(await similarIds(agent, { text: 'blimp propeller', projectId })).toEqual([]);
    // An unknown project finds nothing, as tickets(filter: { projectId }) does.
    expect(await similarIds(agent, { text: 'blimp propeller', projectId: '987654' })).toEqual([]);
    expect(invalidFields(await similar(agent, { text: 'blimp', projectId: 'nope' }))).toEqual([
      { field: 'projectId', rule: 'format' },
    ]);
  });

  test('first outside 1 to 10 and text over 500 characters are refused, naming them', async () => {
    for (const first of [0, 11, -1]) {
      const result = await similar(alice, { text: 'blimp', first });
      expect({ first, codes: errorCodes(result), fields: invalidFields(result) }).toEqual({
        first,
        codes: ['BAD_USER_INPUT'],
        fields: [{ field: 'first', rule: 'range' }],
      });
    }
    expect(await similarIds(alice, { text: 'blimp', first: 10 })).toHaveLength(2);
    const long = await similar(alice, { text: 'blimp '.repeat(84) });
    expect(invalidFields(long)).toEqual([{ field: 'text', rule: 'length' }]);
    expect(await similarIds(alice, { text: 'blimp '.repeat(83) })).toHaveLength(2);
  });

  test('empty text, or only short and common words, finds nothing', async () => {
    for (const text of ['', '   ', 'the and of it is a', '?!…']) {
      expect({ text, found: await similarIds(agent, { text }) }).toEqual({ text, found: [] });
    }
  });

  test('query syntax of either database never errors, and the words in it still count', async () => {
    for (const text of [
      '"',
      '"blimp',
      'blimp*',
      '*',
      'NEAR(blimp propeller)',
      'blimp OR',
      'OR AND NOT',
      '(blimp',
      ')',
      '-blimp',
      '- - -',
      "blimp' | !propeller <-> speed:*",
      'title:blimp',
      '{title} : blimp',
      '^blimp',
      'blimp & | !',
      '\\',
      "''",
    ]) {
      const result = await similar(alice, { text });
      expect({ text, errors: result.errors }).toEqual({ text, errors: undefined });
      if (/blimp/.test(text))
        expect({ text, found: result.data!.similarTickets.length }).toEqual({ text, found: 2 });
    }
  });

  test('signed-in callers only', async () => {
    const result = await api.gql(SIMILAR, { text: 'blimp' });
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
  });

  test('SQL: one search and one read of rows; none for text without a meaningful word', async () => {
    const signedIn = await api.sqlDuring(() => api.ok('{ me { id } }', {}, alice.token));
    const cost = (who: TestUser, text: string) =>
      api.sqlDuring(async () => expect((await similar(who, { text, first: 10 })).errors).toBeUndefined());
    expect(await cost(alice, 'blimp propeller vibration')).toBe(signedIn + 2);
    expect(await cost(agent, 'blimp propeller vibration')).toBe(signedIn + 2);
    expect(await cost(alice, 'nothingmatchesthis')).toBe(signedIn + 1);
    expect(await cost(alice, 'the and of')).toBe(signedIn);
  });
});
