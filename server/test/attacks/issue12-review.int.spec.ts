import { type Socket, connect } from 'node:net';
import { TestApi, errorCodes, type RawResponse, type TestUser } from '../support/test-server';

/**
 * A second review of issue 12, after ticket-page.int.spec.ts: attachments (other people's files, a
 * double submit, uploads that are never linked, the CSRF rule of the upload route), deactivation and
 * markdown edge cases, on both databases. A probe that found nothing stays as a regression test.
 */
let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let mallory: TestUser;
let victim: TestUser;
let projectId: string;
let malloryTicket: string;
let victimTicket: string;

const BOUNDARY = '----issue12-review-boundary';

function multipart(filename: string, content: Buffer | string): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    Buffer.from(content),
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

async function send(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer },
): Promise<RawResponse> {
  const response = await fetch(`${api.url}${path}`, init);
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    // A file, not JSON.
  }
  return { status: response.status, text, json, headers: response.headers };
}

const upload = (who: TestUser, ticket: string, content: Buffer | string = 'bytes', filename = 'a.txt') =>
  send(`/api/tickets/${ticket}/attachments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${who.token}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
    },
    body: multipart(filename, content),
  });

async function uploaded(who: TestUser, ticket: string, content: Buffer | string = 'bytes'): Promise<string> {
  const response = await upload(who, ticket, content);
  expect(response.status).toBe(201);
  return (response.json as { id: string }).id;
}

const download = (who: TestUser, id: string) =>
  send(`/api/attachments/${id}`, { headers: { authorization: `Bearer ${who.token}` } });

const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) {
  updateTicket(id: $id, input: $input) { id jobs { id attachments { id } } }
}`;
const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.gql(UPDATE, { id, input }, { token: who.token });
const jobsOf = async (id: string) =>
  Number(
    (await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "job" WHERE "ticketId" = ?', [Number(id)]))[0]
      .n,
  );

beforeAll(async () => {
  api = await TestApi.start({ attachmentMaxMb: 1 });
  ({ admin, agent } = await api.registerAdminAndAgent());
  mallory = await api.register('mallory');
  victim = await api.register('victim');
  projectId = await api.createProject(admin, 'Payroll');
  malloryTicket = await api.createTicket(mallory, projectId, { title: 'My screen flickers' });
  victimTicket = await api.createTicket(victim, projectId, { title: 'Salaries leak' });
}, 30_000);
afterAll(() => api.stop());

describe("other people's files", () => {
  test("a USER cannot read nor link the victim's upload to a new ticket, nor staff's upload to her own ticket", async () => {
    const victimNew = await uploaded(victim, 'new');
    const staffOnHers = await uploaded(agent, malloryTicket);
    expect((await download(mallory, victimNew)).status).toBe(404);
    expect((await download(mallory, staffOnHers)).status).toBe(404);
    const created = await api.gql(
      `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
      { input: { projectId, title: 'Stolen', description: 'x', attachmentIds: [victimNew] } },
      { token: mallory.token },
    );
    expect(errorCodes(created)).toEqual(['BAD_USER_INPUT']);
    expect(errorCodes(await update(mallory, malloryTicket, { attachmentIds: [staffOnHers] }))).toEqual([
      'BAD_USER_INPUT',
    ]);
  });

  test('an internal note file stays staff-only for the reporter, even for the note author once demoted', async () => {
    const agent2 = await api.register('agent');
    await api.setRole(admin, agent2, 'AGENT');
    const id = await uploaded(agent2, malloryTicket, 'secret plan');
    expect(
      (await update(agent2, malloryTicket, { comment: 'staff only', internal: true, attachmentIds: [id] }))
        .errors,
    ).toBeUndefined();
    expect((await download(mallory, id)).status).toBe(404);
    await api.setRole(admin, agent2, 'USER');
    expect((await download(agent2, id)).status).toBe(404);
  });
});

describe('attachmentIds abuse', () => {
  test('a USER cannot hide her file in an internal note; 10,000 ids are refused naming attachmentIds; nothing changes', async () => {
    const id = await uploaded(mallory, malloryTicket);
    const before = await api.snapshot();
    const internal = await update(mallory, malloryTicket, {
      comment: 'for staff?',
      internal: true,
      attachmentIds: [id],
    });
    expect(errorCodes(internal)).toHaveLength(1);
    expect(['FORBIDDEN', 'BAD_USER_INPUT']).toContain(errorCodes(internal)[0]);
    const many = await update(mallory, malloryTicket, {
      attachmentIds: Array.from({ length: 10_000 }, (_, index) => String(index + 1)),
    });
    expect(errorCodes(many)).toEqual(['BAD_USER_INPUT']);
    const garbage = await update(mallory, malloryTicket, {
      attachmentIds: [id, '0', '-1', '1e3', ' 1', '99999999999', 'x'.repeat(10_000)],
    });
    expect(errorCodes(garbage)).toEqual(['BAD_USER_INPUT']);
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('a double submit of a file alone', () => {
  test('two updateTickets naming the same upload at once: one job carries it, the other is refused', async () => {
    const id = await uploaded(mallory, malloryTicket);
    const before = await jobsOf(malloryTicket);
    const results = await Promise.all([
      update(mallory, malloryTicket, { attachmentIds: [id] }),
      update(mallory, malloryTicket, { attachmentIds: [id] }),
    ]);
    const codes = results.map((result) => errorCodes(result).join()).sort();
    expect(codes).toEqual(['', 'BAD_USER_INPUT']);
    expect(await jobsOf(malloryTicket)).toBe(before + 1);
  });
});

describe('a double submit of a new ticket with a file', () => {
  test('two createTickets naming the same upload at once: never a ticket that claims a file it does not have', async () => {
    for (let round = 0; round < 5; round += 1) {
      const id = await uploaded(mallory, 'new');
      const create = () =>
        api.gql<{ createTicket: { id: string; attachments: { id: string }[] } }>(
          `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id attachments { id } } }`,
          { input: { projectId, title: `Twice ${round}`, description: 'x', attachmentIds: [id] } },
          { token: mallory.token },
        );
      const results = await Promise.all([create(), create()]);
      const created = results.filter((result) => !result.errors);
      expect(results.filter((result) => result.errors).map(errorCodes)).toEqual(
        Array(2 - created.length).fill(['BAD_USER_INPUT']),
      );
      expect(created.map((result) => result.data!.createTicket.attachments)).toEqual([[{ id }]]);
    }
  });
});

describe('uploads never linked', () => {
  test('a user cannot pile up unlinked uploads without end: past the cap, refused and nothing stored', async () => {
    const pile = await api.register('pile');
    const statuses: number[] = [];
    for (let index = 0; index < 35; index += 1)
      statuses.push((await upload(pile, 'new', `f${index}`)).status);
    const rows = Number(
      (
        await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "attachment" WHERE "authorId" = ?', [
          Number(pile.id),
        ])
      )[0].n,
    );
    expect(rows).toBe(30);
    expect(statuses).toEqual([...Array(30).fill(201), ...Array(5).fill(429)]);
    const refused = await upload(pile, 'new', 'one more');
    expect(refused.status).toBe(429);
    expect(refused.json.error.code).toBe('RATE_LIMITED');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Files sent with a ticket no longer count: the cap is on the pile, not on honest use.
    const pending = await api.sql<{ id: number | string }[]>(
      'SELECT "id" FROM "attachment" WHERE "authorId" = ? ORDER BY "id" LIMIT 10',
      [Number(pile.id)],
    );
    await api.ok(
      `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
      {
        input: {
          projectId,
          title: 'Ten screenshots',
          description: 'x',
          attachmentIds: pending.map((row) => String(row.id)),
        },
      },
      pile.token,
    );
    expect((await upload(pile, 'new', 'after sending')).status).toBe(201);
  });
});

describe('CSRF on the upload route', () => {
  const withCookie = (headers: Record<string, string>) =>
    send(`/api/tickets/${malloryTicket}/attachments`, {
      method: 'POST',
      headers: {
        cookie: `st_session=${mallory.token}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
        ...headers,
      },
      body: multipart('csrf.txt', 'planted'),
    });

  test('a cross-site form (cookie, multipart, no custom header, or another Origin) is refused and stores nothing', async () => {
    const count = async () =>
      Number((await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "attachment"'))[0].n);
    const before = await count();
    const crossSite: Record<string, string>[] = [
      {},
      { origin: 'https://evil.example' },
      { origin: 'null', 'x-requested-with': 'XMLHttpRequest' },
      { origin: 'https://evil.example', 'x-requested-with': 'XMLHttpRequest' },
    ];
    for (const headers of crossSite) {
      expect({ headers, status: (await withCookie(headers)).status }).toEqual({ headers, status: 403 });
    }
    expect(await count()).toBe(before);
    expect((await withCookie({ 'x-requested-with': 'XMLHttpRequest' })).status).toBe(201);
  });
});

describe('deactivation', () => {
  test("a deactivated user's token neither uploads nor reads their own files", async () => {
    const leaver = await api.register('leaver');
    const ticket = await api.createTicket(leaver, projectId);
    const id = await uploaded(leaver, ticket);
    await api.ok(
      `mutation ($userId: ID!) { setUserDeactivated(userId: $userId, deactivated: true) { id } }`,
      { userId: leaver.id },
      admin.token,
    );
    expect((await upload(leaver, ticket)).status).toBe(401);
    expect((await download(leaver, id)).status).toBe(401);
  });
});

describe('markdown #N edge cases', () => {
  test('huge, zero and padded ticket numbers are plain text or a link, never an error', async () => {
    for (const text of [
      '#0',
      '#00001',
      '#99999999999999999999999',
      '#9007199254740993',
      '#-1',
      `#${victimTicket}`,
    ]) {
      const result = await api.gql<{ renderMarkdown: string }>(
        'query ($text: String!) { renderMarkdown(text: $text) }',
        { text },
        { token: mallory.token },
      );
      expect({ text, errors: result.errors }).toEqual({ text, errors: undefined });
      expect(result.data!.renderMarkdown).not.toContain(`/tickets/${victimTicket}"`);
    }
  });
});

describe('uploads that stall after the first megabyte', () => {
  let shed: TestApi;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await shed?.stop();
  });

  /** An upload that sends more than the line reads ahead, then nothing more: it waits for bytes that never come. */
  function stalledUpload(who: TestUser): void {
    const { port } = new URL(shed.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      `POST /api/tickets/new/attachments HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        `Authorization: Bearer ${who.token}\r\n` +
        `Content-Type: multipart/form-data; boundary=${BOUNDARY}\r\nContent-Length: ${5 * 1024 * 1024}\r\n\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.bin"\r\n\r\n`,
    );
    socket.write(Buffer.alloc(1536 * 1024, 0x61));
    sockets.push(socket);
  }

  test('stalled uploads of four users do not take the four places where requests run; one user sends four at once', async () => {
    shed = await TestApi.start({ maxConcurrentRequests: 4, maxQueueWaitMs: 1000, attachmentMaxMb: 10 });
    const users = [];
    for (let index = 0; index < 4; index += 1) users.push(await shed.register('slow'));
    users.forEach(stalledUpload);
    for (let index = 0; index < 3; index += 1) stalledUpload(users[0]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const answer = await shed.gql('{ setupNeeded }');
    expect(answer.errors).toBeUndefined();
    expect(answer.data).toEqual({ setupNeeded: false });
    const fifth = await fetch(`${shed.url}/api/tickets/new/attachments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${users[0].token}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      },
      body: multipart('fifth.txt', 'x'),
    });
    expect(fifth.status).toBe(429);
    expect(((await fifth.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMITED');
    const other = await shed.register('other');
    const fine = await fetch(`${shed.url}/api/tickets/new/attachments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${other.token}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      },
      body: multipart('fine.txt', 'x'),
    });
    expect(fine.status).toBe(201);
  }, 30_000);
});

describe('downloads never read by their client', () => {
  let shed: TestApi;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await shed?.stop();
  });

  test('four clients that ask for a large file and never read it do not take every place where requests run', async () => {
    shed = await TestApi.start({ maxConcurrentRequests: 4, maxQueueWaitMs: 1000, attachmentMaxMb: 10 });
    const reader = await shed.register('reader');
    const stored = await fetch(`${shed.url}/api/tickets/new/attachments`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${reader.token}`,
        'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      },
      body: multipart('big.bin', Buffer.alloc(9 * 1024 * 1024, 0)),
    });
    expect(stored.status).toBe(201);
    const { id } = (await stored.json()) as { id: string };
    const { port } = new URL(shed.url);
    for (let index = 0; index < 4; index += 1) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        `GET /api/attachments/${id} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${reader.token}\r\n\r\n`,
      );
      // Never read: the answer waits in the socket's buffers and the server's memory.
      socket.pause();
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const answer = await shed.gql('{ setupNeeded }');
    expect(answer.errors).toBeUndefined();
  }, 30_000);
});

describe('GraphQL answers never read by their client', () => {
  let shed: TestApi;
  const sockets: Socket[] = [];
  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await shed?.stop();
  });

  test('four clients that ask for a large page of their tickets and never read it do not take every place', async () => {
    shed = await TestApi.start({ maxConcurrentRequests: 4, maxQueueWaitMs: 1000 });
    const boss = await shed.register('boss');
    const project = await shed.createProject(boss, 'Big');
    const reader = await shed.register('reader');
    const actor = (await shed.server.services.users.findById(Number(reader.id)))!;
    for (let index = 0; index < 100; index += 1) {
      await shed.server.services.tickets.create(actor, {
        projectId: project,
        title: `Long ${index}`,
        description: '**a** <b> & '.repeat(1600),
      });
    }
    const body = JSON.stringify({
      query: '{ tickets(first: 100) { nodes { description descriptionHtml } } }',
    });
    const { port } = new URL(shed.url);
    for (let index = 0; index < 4; index += 1) {
      const socket = connect(Number(port), '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(
        `POST /graphql HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${reader.token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      socket.pause();
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const answer = await shed.gql('{ setupNeeded }');
    expect(answer.errors).toBeUndefined();
  }, 60_000);
});

describe('setupNeeded and the first account', () => {
  let fresh: TestApi;
  afterAll(() => fresh?.stop());

  test('registrations racing on an empty service make exactly one ADMIN', async () => {
    fresh = await TestApi.start();
    expect((await fresh.gql('{ setupNeeded }')).data).toEqual({ setupNeeded: true });
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        fresh.gql<{ register: { user: { role: string } } }>(
          `mutation ($input: RegisterInput!) { register(input: $input) { user { role } } }`,
          {
            input: {
              username: `racer${index}`,
              email: `racer${index}@example.com`,
              password: `correct horse racer${index} battery`,
            },
          },
        ),
      ),
    );
    const roles = results.map((result) => result.data?.register.user.role ?? errorCodes(result).join());
    expect(roles.filter((role) => role === 'ADMIN')).toHaveLength(1);
    const admins = await fresh.sql<{ n: string }[]>(
      `SELECT COUNT(*) AS n FROM "user" WHERE "role" = 'ADMIN'`,
    );
    expect(Number(admins[0].n)).toBe(1);
    expect((await fresh.gql('{ setupNeeded }')).data).toEqual({ setupNeeded: false });
  }, 30_000);
});
