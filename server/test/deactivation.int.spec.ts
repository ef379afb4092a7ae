import { MailCatcher } from './support/mail-catcher';
import { ME, TICKET, UPDATE_TICKET } from './support/operations';
import { TestApi, type TestUser, errorCodes, type GraphQLResponse } from './support/test-server';

/**
 * Deactivating a user (issue 12): an ADMIN ends an account's access (login, sessions, API tokens,
 * password reset) while its tickets and jobs stay, under its name; reactivating lets it sign in again.
 */

const PUBLIC_URL = 'http://tickets.test:8080';
const DEACTIVATE = `mutation ($userId: ID!, $deactivated: Boolean!) {
  setUserDeactivated(userId: $userId, deactivated: $deactivated) { id username deactivated }
}`;
const USERS = `{ users { id username deactivated } }`;
const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }`;
const REQUEST_RESET = `mutation ($email: String!) { requestPasswordReset(email: $email) }`;
const RESET = `mutation ($input: ResetPasswordInput!) { resetPassword(input: $input) }`;
/** Any field that needs a signed-in user. */
const NEEDS_USER = `{ tickets(first: 1) { totalCount } }`;
const DEACTIVATED_MESSAGE = 'This account has been deactivated: ask an administrator.';
const SESSION_ENDED = 'Your session has ended. Please log in again.';

let api: TestApi;
let mail: MailCatcher;
let admin: TestUser;
let agent: TestUser;
let projectId: string;

beforeAll(async () => {
  mail = await MailCatcher.start();
  api = await TestApi.start({ smtpUrl: mail.url, publicUrl: PUBLIC_URL });
  ({ admin, agent } = await api.registerAdminAndAgent());
  projectId = await api.createProject(admin);
}, 20_000);

afterAll(async () => {
  await api?.stop();
  await mail?.stop();
});

const invalidFields = (result: GraphQLResponse) =>
  (result.errors?.[0]?.extensions?.invalidFields ?? []) as { field: string; rule: string }[];

const setDeactivated = (actor: TestUser | null, userId: string, deactivated: boolean) =>
  api.gql<{ setUserDeactivated: { id: string; username: string; deactivated: boolean | null } }>(
    DEACTIVATE,
    { userId, deactivated },
    { token: actor?.token },
  );

/** deactivatedAt and sessionVersion as stored: a refused request must leave both as they were. */
async function stored(user: TestUser): Promise<{ deactivatedAt: number | null; sessionVersion: number }> {
  const [row] = await api.sql<{ deactivatedAt: number | string | null; sessionVersion: number }[]>(
    `SELECT "deactivatedAt", "sessionVersion" FROM "user" WHERE "id" = ?`,
    [Number(user.id)],
  );
  return {
    deactivatedAt: row.deactivatedAt === null ? null : Number(row.deactivatedAt),
    sessionVersion: Number(row.sessionVersion),
  };
}

async function apiToken(owner: TestUser): Promise<string> {
  const data = await api.ok<{ createApiToken: { secret: string } }>(
    CREATE_TOKEN,
    { input: { name: `token of ${owner.username}`, scope: 'WRITE' } },
    owner.token,
  );
  return data.createApiToken.secret;
}

async function staff(prefix: string, role: 'AGENT' | 'ADMIN'): Promise<TestUser> {
  const user = await api.register(prefix);
  await api.setRole(admin, user, role);
  return user;
}

describe('an admin deactivates a user', () => {
  let reporter: TestUser;
  let ticketId: string;
  let secret: string;

  beforeAll(async () => {
    reporter = await api.register('reporter');
    ticketId = await api.createTicket(reporter, projectId, { title: 'The printer jams' });
    await api.ok(UPDATE_TICKET, { id: ticketId, input: { comment: 'Every morning.' } }, reporter.token);
    secret = await apiToken(reporter);
    // Control: the session and the API token work before the deactivation.
    expect((await api.gql(NEEDS_USER, {}, { token: reporter.token })).errors).toBeUndefined();
    expect((await api.gql(NEEDS_USER, {}, { token: secret })).errors).toBeUndefined();

    const result = await setDeactivated(admin, reporter.id, true);
    expect(result.errors).toBeUndefined();
    expect(result.data!.setUserDeactivated).toEqual({
      id: reporter.id,
      username: reporter.username,
      deactivated: true,
    });
  });

  test('their login with the right password is refused as deactivated; a wrong one gets the usual answer', async () => {
    const right = await api.login(reporter.username, reporter.password);
    expect(errorCodes(right)).toEqual(['FORBIDDEN']);
    expect(right.errors![0].message).toBe(DEACTIVATED_MESSAGE);
    expect(right.data?.login ?? null).toBeNull();
    const wrong = await api.login(reporter.username, 'not the password at all');
    expect(errorCodes(wrong)).toEqual(['BAD_USER_INPUT']);
    expect(wrong.errors![0].message).toBe('Invalid login or password.');
  });

  test('their existing session ends: the header token and the cookie are refused, me is null', async () => {
    const byHeader = await api.gql(NEEDS_USER, {}, { token: reporter.token });
    expect(errorCodes(byHeader)).toEqual(['UNAUTHENTICATED']);
    expect(byHeader.errors![0].message).toBe(SESSION_ENDED);
    const byCookie = await api.gql(NEEDS_USER, {}, { headers: { cookie: `st_session=${reporter.token}` } });
    expect(errorCodes(byCookie)).toEqual(['UNAUTHENTICATED']);
    expect((await api.ok<{ me: unknown }>(ME, {}, reporter.token)).me).toBeNull();
  });

  test('their API token is refused, and gone', async () => {
    const result = await api.gql(NEEDS_USER, {}, { token: secret });
    expect(result.status).toBe(401);
    expect(errorCodes(result)).toEqual(['UNAUTHENTICATED']);
    expect(result.errors![0].message).toMatch(/API token is not valid/);
    const [row] = await api.sql<{ n: number | string }[]>(
      `SELECT COUNT(*) AS n FROM "api_token" WHERE "userId" = ?`,
      [Number(reporter.id)],
    );
    expect(Number(row.n)).toBe(0);
  });

  test('their tickets and jobs stay, under their name', async () => {
    const ticket = await api.ok<{
      ticket: { author: { username: string }; jobs: { author: { username: string } }[] };
    }>(TICKET, { id: ticketId }, agent.token);
    expect(ticket.ticket.author.username).toBe(reporter.username);
    expect(ticket.ticket.jobs.map((job) => job.author.username)).toContain(reporter.username);
    const list = await api.ok<{ tickets: { nodes: { id: string; author: { username: string } }[] } }>(
      `{ tickets(first: 100) { nodes { id author { username } } } }`,
      {},
      agent.token,
    );
    expect(list.tickets.nodes).toContainEqual({ id: ticketId, author: { username: reporter.username } });
  });

  test('an ADMIN reads deactivated as a boolean; anyone else reads null', async () => {
    const users = (
      await api.ok<{ users: { id: string; deactivated: boolean | null }[] }>(USERS, {}, admin.token)
    ).users;
    expect(users.find((user) => user.id === reporter.id)!.deactivated).toBe(true);
    expect(users.find((user) => user.id === agent.id)!.deactivated).toBe(false);
    const author = `query ($id: ID!) { ticket(id: $id) { author { id deactivated } } }`;
    expect((await api.ok<any>(author, { id: ticketId }, admin.token)).ticket.author.deactivated).toBe(true);
    expect((await api.ok<any>(author, { id: ticketId }, agent.token)).ticket.author.deactivated).toBeNull();
    const someone = await api.register('someone');
    expect((await api.ok<any>(`{ me { deactivated } }`, {}, someone.token)).me.deactivated).toBeNull();
    expect((await api.ok<any>(`{ me { deactivated } }`, {}, agent.token)).me.deactivated).toBeNull();
  });

  test('reactivating lets them sign in again; the sessions from before stay ended', async () => {
    const result = await setDeactivated(admin, reporter.id, false);
    expect(result.errors).toBeUndefined();
    expect(result.data!.setUserDeactivated.deactivated).toBe(false);
    const login = await api.login(reporter.username, reporter.password);
    expect(login.errors).toBeUndefined();
    expect((await api.gql(NEEDS_USER, {}, { token: login.data!.login.token })).errors).toBeUndefined();
    expect(errorCodes(await api.gql(NEEDS_USER, {}, { token: reporter.token }))).toEqual(['UNAUTHENTICATED']);
    expect(errorCodes(await api.gql(NEEDS_USER, {}, { token: secret }))).toEqual(['UNAUTHENTICATED']);
    expect((await stored(reporter)).deactivatedAt).toBeNull();
  });
});

describe('refusals change nothing', () => {
  let target: TestUser;

  beforeAll(async () => {
    target = await api.register('target');
  });

  async function expectUnchanged(work: () => Promise<void>): Promise<void> {
    const before = { rows: await api.snapshot(), target: await stored(target), admin: await stored(admin) };
    await work();
    expect({ rows: await api.snapshot(), target: await stored(target), admin: await stored(admin) }).toEqual(
      before,
    );
    expect((await api.gql(NEEDS_USER, {}, { token: target.token })).errors).toBeUndefined();
  }

  test('an admin cannot deactivate themself', async () => {
    await expectUnchanged(async () => {
      const result = await setDeactivated(admin, admin.id, true);
      expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
      expect(invalidFields(result)).toEqual([
        expect.objectContaining({ field: 'userId', rule: 'notAllowed' }),
      ]);
      expect(result.data).toBeNull();
    });
    expect((await api.gql(NEEDS_USER, {}, { token: admin.token })).errors).toBeUndefined();
  });

  test.each([
    { who: 'a USER', actor: () => target, code: 'FORBIDDEN' },
    { who: 'an AGENT', actor: () => agent, code: 'FORBIDDEN' },
    { who: 'anonymous', actor: (): TestUser | null => null, code: 'UNAUTHENTICATED' },
  ])('$who calling it: $code', async ({ actor, code }) => {
    await expectUnchanged(async () => {
      const result = await setDeactivated(actor(), target.id, true);
      expect(errorCodes(result)).toEqual([code]);
      expect(result.data).toBeNull();
    });
  });

  test('an unknown id is NOT_FOUND; a malformed one is BAD_USER_INPUT naming userId', async () => {
    await expectUnchanged(async () => {
      const unknown = await setDeactivated(admin, '999999', true);
      expect(errorCodes(unknown)).toEqual(['NOT_FOUND']);
      const malformed = await setDeactivated(admin, 'abc', true);
      expect(errorCodes(malformed)).toEqual(['BAD_USER_INPUT']);
      expect(invalidFields(malformed)).toEqual([expect.objectContaining({ field: 'userId' })]);
    });
  });

  test('the last active admin cannot be deactivated, even by an admin deactivated while the request ran', async () => {
    const second = await staff('second', 'ADMIN');
    // The stale view of the first admin: still an active ADMIN when their request was authenticated.
    const staleFirstAdmin = (await api.server.services.users.findById(Number(admin.id)))!;
    expect((await setDeactivated(second, admin.id, true)).errors).toBeUndefined();
    try {
      const before = await stored(second);
      await expect(
        api.server.services.users.setDeactivated(staleFirstAdmin, Number(second.id), true),
      ).rejects.toMatchObject({
        extensions: {
          code: 'BAD_USER_INPUT',
          invalidFields: [expect.objectContaining({ field: 'userId', rule: 'notAllowed' })],
        },
      });
      expect(await stored(second)).toEqual(before);
      expect((await api.gql(NEEDS_USER, {}, { token: second.token })).errors).toBeUndefined();
    } finally {
      expect((await setDeactivated(second, admin.id, false)).errors).toBeUndefined();
      admin = { ...admin, token: (await api.login(admin.username, admin.password)).data!.login.token };
    }
  });

  test('two admins deactivating each other at once: one wins, one active admin remains', async () => {
    const first = await staff('mutualA', 'ADMIN');
    const second = await staff('mutualB', 'ADMIN');
    const activeAdmins = async () =>
      (
        await api.sql<{ id: number }[]>(
          `SELECT "id" FROM "user" WHERE "role" = 'ADMIN' AND "deactivatedAt" IS NULL`,
        )
      ).map((row) => String(row.id));
    // The two of them become the only active admins.
    const outsiders = (await activeAdmins()).filter((id) => id !== first.id && id !== second.id);
    expect(outsiders).toContain(admin.id);
    for (const id of outsiders) await api.ok(DEACTIVATE, { userId: id, deactivated: true }, first.token);
    try {
      const results = await Promise.all([
        setDeactivated(first, second.id, true),
        setDeactivated(second, first.id, true),
      ]);
      expect(results.filter((result) => result.errors === undefined)).toHaveLength(1);
      // The loser is refused as the last active admin, or already signed out if it lost before starting.
      const loser = results.find((result) => result.errors !== undefined)!;
      expect(['BAD_USER_INPUT', 'UNAUTHENTICATED']).toContain(errorCodes(loser)[0]);
      expect((await activeAdmins()).length).toBe(1);
    } finally {
      // Put the file's admins back, by whichever admin is still active.
      const [survivor] = await activeAdmins();
      const who = survivor === first.id ? first : second;
      for (const id of outsiders) await api.ok(DEACTIVATE, { userId: id, deactivated: false }, who.token);
      admin = { ...admin, token: (await api.login(admin.username, admin.password)).data!.login.token };
    }
  });
});

describe('what a deactivated account can no longer get', () => {
  test('a ticket cannot be assigned to them (assigneeId), and they leave the assignees list', async () => {
    const gone = await staff('goneagent', 'AGENT');
    const ticketId = await api.createTicket(admin, projectId);
    expect((await setDeactivated(admin, gone.id, true)).errors).toBeUndefined();
    const before = await api.snapshot();
    const result = await api.gql(
      UPDATE_TICKET,
      { id: ticketId, input: { assigneeId: gone.id } },
      { token: agent.token },
    );
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(result)).toEqual([expect.objectContaining({ field: 'assigneeId' })]);
    expect(await api.snapshot()).toEqual(before);
    const ticket = await api.ok<{ ticket: { assignee: unknown } }>(TICKET, { id: ticketId }, agent.token);
    expect(ticket.ticket.assignee).toBeNull();
    const assignees = await api.ok<{ assignees: { id: string }[] }>(`{ assignees { id } }`, {}, agent.token);
    expect(assignees.assignees.map((user) => user.id)).not.toContain(gone.id);
    expect(assignees.assignees.map((user) => user.id)).toContain(agent.id);
    // Promoting a deactivated account still works (it stays deactivated); reactivated, it can be assigned.
    await api.setRole(admin, gone, 'ADMIN');
    expect((await setDeactivated(admin, gone.id, false)).errors).toBeUndefined();
    const assigned = await api.gql(
      UPDATE_TICKET,
      { id: ticketId, input: { assigneeId: gone.id } },
      { token: agent.token },
    );
    expect(assigned.errors).toBeUndefined();
  });

  test('a password reset answers as for an unknown address and sends nothing; a link sent before stops working', async () => {
    const gone = await api.register('forgotten');
    const active = await api.register('remembered');
    // A link asked for before the deactivation.
    await api.ok(REQUEST_RESET, { email: gone.email });
    const earlier = await mail.waitFor(
      (m) => m.to.includes(gone.email.toLowerCase()) && m.subject.startsWith('Reset your password'),
    );
    const earlierToken = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(earlier.text)![1];
    expect((await setDeactivated(admin, gone.id, true)).errors).toBeUndefined();

    const resetsTo = (address: string) =>
      mail.received.filter(
        (m) => m.to.includes(address.toLowerCase()) && m.subject.startsWith('Reset your password'),
      ).length;
    const unknown = await api.gql(REQUEST_RESET, { email: 'nobody.there@example.com' });
    const deactivated = await api.gql(REQUEST_RESET, { email: gone.email });
    const control = await api.gql(REQUEST_RESET, { email: active.email });
    for (const result of [unknown, deactivated, control]) {
      expect(result).toMatchObject({ status: 200, data: { requestPasswordReset: true } });
      expect(result.errors).toBeUndefined();
    }
    await mail.waitFor(
      (m) => m.to.includes(active.email.toLowerCase()) && m.subject.startsWith('Reset your password'),
    );
    await api.server.services.accounts.settled();
    const [queued] = await api.sql<{ n: number | string }[]>(
      `SELECT COUNT(*) AS n FROM "outbox_message" WHERE "recipientUserId" = ? AND "template" = 'password-reset'`,
      [Number(gone.id)],
    );
    expect(Number(queued.n)).toBe(1);
    expect(resetsTo(gone.email)).toBe(1);

    const before = await stored(gone);
    const reset = await api.gql(RESET, {
      input: { token: earlierToken, newPassword: 'a brand new passphrase 42' },
    });
    expect(errorCodes(reset)).toEqual(['BAD_USER_INPUT']);
    expect(invalidFields(reset)).toEqual([expect.objectContaining({ field: 'token' })]);
    expect(await stored(gone)).toEqual(before);
    expect(errorCodes(await api.login(gone.username, 'a brand new passphrase 42'))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });
});
