import { TestApi, errorCodes, type RawResponse, type TestUser } from './support/test-server';

/**
 * Attachments (issue 12): a file is uploaded over plain HTTP, unlinked, then linked to the job of the
 * createTicket or updateTicket that names it; it is read back with the rights of its ticket and job.
 * Types come from the content; markup is only ever a download; every file has nosniff and a sandbox CSP.
 * The server runs with ATTACHMENT_MAX_MB=1 so the size limit is cheap to reach.
 */
let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let projectId: string;
let aliceTicket: string;
let bobTicket: string;

const MAX_BYTES = 1024 * 1024;
// A 1×1 transparent PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=',
  'base64',
);
const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
const SVG = Buffer.from(
  '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>',
);

interface Part {
  name: string;
  filename?: string;
  type?: string;
  content: Buffer | string;
}

const BOUNDARY = '----attachment-test-boundary';

/** A multipart/form-data body written by hand, so every byte of the header lines is the test's. */
function multipart(parts: Part[]): Buffer {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    const disposition =
      part.filename === undefined
        ? `form-data; name="${part.name}"`
        : `form-data; name="${part.name}"; filename="${part.filename}"`;
    chunks.push(
      Buffer.from(
        `--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n` +
          (part.type ? `Content-Type: ${part.type}\r\n` : '') +
          '\r\n',
      ),
      Buffer.from(part.content),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${BOUNDARY}--\r\n`));
  return Buffer.concat(chunks);
}

async function send(
  path: string,
  init: { method?: string; token?: string; headers?: Record<string, string>; body?: Buffer | string },
): Promise<RawResponse & { bytes: Buffer }> {
  const response = await fetch(`${api.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...init.headers },
    body: init.body,
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = bytes.toString('utf8');
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    // A file, not JSON.
  }
  return { status: response.status, text, json, headers: response.headers, bytes };
}

const upload = (who: TestUser | null, ticket: string, parts: Part[]) =>
  send(`/api/tickets/${ticket}/attachments`, {
    method: 'POST',
    token: who?.token,
    headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: multipart(parts),
  });

const file = (filename: string, content: Buffer | string, type = 'application/octet-stream'): Part[] => [
  { name: 'file', filename, type, content },
];

/** Uploads one file and fails the test unless it is stored. */
async function uploaded(who: TestUser, ticket: string, filename: string, content: Buffer | string) {
  const response = await upload(who, ticket, file(filename, content));
  expect(response.status).toBe(201);
  return response.json as { id: string; filename: string; contentType: string; isImage: boolean };
}

const download = (who: TestUser | null, id: string) => send(`/api/attachments/${id}`, { token: who?.token });

const ATTACHMENT_FIELDS = 'id filename contentType size url isImage author { username } createdAt';
const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) {
  updateTicket(id: $id, input: $input) { id jobs { id comment internal attachments { ${ATTACHMENT_FIELDS} } } }
}`;
const READ = `query ($id: ID!) {
  ticket(id: $id) { attachments { ${ATTACHMENT_FIELDS} } jobs { id internal attachments { id } } }
}`;

const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.gql<{ updateTicket: { jobs: { comment: string | null; attachments: { id: string }[] }[] } }>(
    UPDATE,
    { id, input },
    { token: who.token },
  );
const attachmentsOf = async (who: TestUser, id: string) =>
  (await api.ok<{ ticket: { attachments: any[] } }>(READ, { id }, who.token)).ticket.attachments;
const attachmentRows = async () =>
  Number((await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "attachment"'))[0].n);
const linkedRows = async () =>
  Number(
    (await api.sql<{ n: string }[]>('SELECT COUNT(*) AS n FROM "attachment" WHERE "jobId" IS NOT NULL'))[0].n,
  );

beforeAll(async () => {
  // Statement counts below include the session's check: never taken from the session cache, whose
  // clearing by PostgreSQL's notifications arrives at its own time.
  api = await TestApi.start({ attachmentMaxMb: 1, sessionCacheMs: 0 });
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  projectId = await api.createProject(admin, 'Printers');
  aliceTicket = await api.createTicket(alice, projectId, { title: 'Paper jam on floor 3' });
  bobTicket = await api.createTicket(bob, projectId, { title: 'Toner streaks' });
});
afterAll(() => api.stop());

describe('a reporter attaches a screenshot', () => {
  let id: string;

  test('the upload is stored unlinked and answered as the Attachment', async () => {
    const before = await api.snapshot();
    const response = await upload(alice, aliceTicket, file('screenshot.png', PNG, 'image/png'));
    expect(response.status).toBe(201);
    expect(response.json).toEqual({
      id: expect.stringMatching(/^\d+$/),
      filename: 'screenshot.png',
      contentType: 'image/png',
      size: PNG.length,
      url: `/api/attachments/${response.json.id}`,
      isImage: true,
      author: { id: alice.id, username: alice.username },
      createdAt: expect.any(String),
    });
    id = response.json.id;
    // No job yet: the ticket shows nothing, and only the uploader may read the file.
    expect(await api.snapshot()).toEqual(before);
    expect(await attachmentsOf(alice, aliceTicket)).toEqual([]);
    expect((await download(alice, id)).status).toBe(200);
    expect((await download(agent, id)).status).toBe(404);
  });

  test('updateTicket with attachmentIds alone records a job with the file', async () => {
    const result = await update(alice, aliceTicket, { attachmentIds: [id] });
    expect(result.errors).toBeUndefined();
    const job = result.data!.updateTicket.jobs.at(-1)!;
    expect(job.comment).toBeNull();
    expect(job.attachments).toEqual([
      {
        id,
        filename: 'screenshot.png',
        contentType: 'image/png',
        size: PNG.length,
        url: `/api/attachments/${id}`,
        isImage: true,
        author: { username: alice.username },
        createdAt: expect.any(String),
      },
    ]);
    for (const viewer of [alice, agent]) {
      expect((await attachmentsOf(viewer, aliceTicket)).map((attachment) => attachment.id)).toEqual([id]);
    }
  });

  test('GET answers the same bytes, as an inline image, with nosniff and a sandbox', async () => {
    for (const viewer of [alice, agent, admin]) {
      const response = await download(viewer, id);
      expect(response.status).toBe(200);
      expect(response.bytes.equals(PNG)).toBe(true);
      expect(response.headers.get('content-type')).toBe('image/png');
      expect(response.headers.get('content-disposition')).toBe(
        `inline; filename="screenshot.png"; filename*=UTF-8''screenshot.png`,
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('content-security-policy')).toBe("default-src 'none'; sandbox");
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });

  test('an upload already linked cannot be linked again', async () => {
    const before = await api.snapshot();
    const result = await update(alice, aliceTicket, { attachmentIds: [id], comment: 'Again' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions!.invalidFields).toEqual([
      { field: 'attachmentIds', rule: 'invalid', message: expect.stringContaining(id) },
    ]);
    expect(await api.snapshot()).toEqual(before);
  });
});

describe('types come from the content', () => {
  test('HTML named x.png is stored as text/html and only ever downloaded', async () => {
    const stored = await uploaded(alice, aliceTicket, 'x.png', HTML);
    expect(stored).toMatchObject({ filename: 'x.png', contentType: 'text/html', isImage: false });
    expect((await update(alice, aliceTicket, { attachmentIds: [stored.id] })).errors).toBeUndefined();
    const response = await download(alice, stored.id);
    expect(response.status).toBe(200);
    expect(response.bytes.equals(HTML)).toBe(true);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="x.png"/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('an SVG is an image type, yet a download: it can carry scripts', async () => {
    const stored = await uploaded(alice, aliceTicket, 'logo.svg', SVG);
    expect(stored).toMatchObject({ contentType: 'image/svg+xml', isImage: false });
    const response = await download(alice, stored.id);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; /);
  });

  test('plain text keeps its type, as a download; unknown bytes are octet-stream', async () => {
    const text = await uploaded(alice, aliceTicket, 'log.txt', 'line one\nline two\n');
    expect(text.contentType).toBe('text/plain');
    const textResponse = await download(alice, text.id);
    expect(textResponse.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(textResponse.headers.get('content-disposition')).toMatch(/^attachment; /);
    const binary = await uploaded(alice, aliceTicket, 'dump.png', Buffer.from([0, 1, 2, 255, 254, 0]));
    expect(binary).toMatchObject({ contentType: 'application/octet-stream', isImage: false });
  });

  test('the name keeps no folder, no control or bidi character; the header stays well-formed', async () => {
    const stored = await uploaded(
      alice,
      aliceTicket,
      'C:\\Users\\alice\\r\u00e9sum\u00e9\u202egnp.exe',
      'text',
    );
    expect(stored.filename).toBe('r\u00e9sum\u00e9gnp.exe');
    const response = await download(alice, stored.id);
    expect(response.headers.get('content-disposition')).toBe(
      `attachment; filename="r_sum_gnp.exe"; filename*=UTF-8''r%C3%A9sum%C3%A9gnp.exe`,
    );
  });
});

describe('refused uploads store nothing', () => {
  const refused = async (response: RawResponse, status: number, field: string, rule: string) => {
    expect(response.status).toBe(status);
    expect(response.json.error).toEqual({
      code: 'BAD_USER_INPUT',
      message: expect.any(String),
      invalidFields: [{ field, rule, message: expect.any(String) }],
    });
  };

  test('larger than ATTACHMENT_MAX_MB: 413, and a file of exactly the limit is accepted', async () => {
    const before = await attachmentRows();
    await refused(
      await upload(alice, aliceTicket, file('big.bin', Buffer.alloc(MAX_BYTES + 1, 7))),
      413,
      'file',
      'length',
    );
    expect(await attachmentRows()).toBe(before);
    await uploaded(alice, aliceTicket, 'exact.bin', Buffer.alloc(MAX_BYTES, 7));
    expect(await attachmentRows()).toBe(before + 1);
  });

  test.each<[string, () => Promise<RawResponse>, number, string, string]>([
    [
      'two files',
      () => upload(alice, aliceTicket, [...file('a.txt', 'a'), ...file('b.txt', 'b')]),
      400,
      'file',
      'invalid',
    ],
    [
      'a file under another name',
      () => upload(alice, aliceTicket, [{ name: 'upload', filename: 'a.txt', content: 'a' }]),
      400,
      'file',
      'invalid',
    ],
    [
      'a text field beside the file',
      () => upload(alice, aliceTicket, [{ name: 'note', content: 'hi' }, ...file('a.txt', 'a')]),
      400,
      'file',
      'invalid',
    ],
    ['no part at all', () => upload(alice, aliceTicket, []), 400, 'file', 'required'],
    ['an empty file', () => upload(alice, aliceTicket, file('empty.txt', '')), 400, 'file', 'required'],
    [
      'a JSON body',
      () =>
        send(`/api/tickets/${aliceTicket}/attachments`, {
          method: 'POST',
          token: alice.token,
          headers: { 'content-type': 'application/json' },
          body: '{"file":"aGVsbG8="}',
        }),
      415,
      'Content-Type',
      'format',
    ],
    [
      'multipart without a boundary',
      () =>
        send(`/api/tickets/${aliceTicket}/attachments`, {
          method: 'POST',
          token: alice.token,
          headers: { 'content-type': 'multipart/form-data' },
          body: multipart(file('a.txt', 'a')),
        }),
      400,
      'file',
      'invalid',
    ],
  ])('%s', async (_name, request, status, field, rule) => {
    const before = await attachmentRows();
    await refused(await request(), status, field, rule);
    expect(await attachmentRows()).toBe(before);
  });
});

describe("someone else's files", () => {
  test('another USER cannot upload to a ticket: NOT_FOUND, as for a ticket that does not exist', async () => {
    const before = await attachmentRows();
    for (const ticket of [aliceTicket, '999999', 'abc']) {
      const response = await upload(bob, ticket, file('a.png', PNG));
      expect(response.status).toBe(404);
      expect(response.json.error.code).toBe('NOT_FOUND');
      expect(response.json.error.message).toMatch(/^Ticket .* not found\.$/);
    }
    expect(await attachmentRows()).toBe(before);
  });

  test('another USER gets NOT_FOUND for a file, as for a file that does not exist', async () => {
    const [mine] = await attachmentsOf(alice, aliceTicket);
    const theirs = await download(bob, mine.id);
    const missing = await download(bob, '999999');
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(theirs.json.error.code).toBe('NOT_FOUND');
    expect(theirs.json.error.message.replace(mine.id, 'N')).toBe(
      missing.json.error.message.replace('999999', 'N'),
    );
    expect(theirs.headers.get('content-type')).toMatch(/^application\/json/);
  });

  test('a file added with an internal note is for staff only', async () => {
    const stored = await uploaded(agent, aliceTicket, 'diagnosis.png', PNG);
    const note = await update(agent, aliceTicket, {
      internal: true,
      comment: 'Fuser worn',
      attachmentIds: [stored.id],
    });
    expect(note.errors).toBeUndefined();
    expect((await attachmentsOf(agent, aliceTicket)).map((attachment) => attachment.id)).toContain(stored.id);
    expect((await attachmentsOf(alice, aliceTicket)).map((attachment) => attachment.id)).not.toContain(
      stored.id,
    );
    expect((await download(agent, stored.id)).status).toBe(200);
    const refused = await download(alice, stored.id);
    expect(refused.status).toBe(404);
    expect(refused.json.error.code).toBe('NOT_FOUND');
  });

  test.each<[string, () => Promise<string>]>([
    ["someone else's upload", async () => (await uploaded(agent, aliceTicket, 'a.txt', 'a')).id],
    ['their own upload made for a new ticket', async () => (await uploaded(alice, 'new', 'b.txt', 'b')).id],
    ['an unknown id', async () => '999999'],
    ['an id that is no id', async () => 'abc'],
  ])('attachmentIds with %s: BAD_USER_INPUT, nothing changed', async (_name, idOf) => {
    const id = await idOf();
    const before = { rows: await api.snapshot(), linked: await linkedRows() };
    const result = await update(alice, aliceTicket, { attachmentIds: [id], comment: 'See the file' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(result.errors![0].extensions!.invalidFields).toEqual([
      { field: 'attachmentIds', rule: 'invalid', message: expect.any(String) },
    ]);
    expect({ rows: await api.snapshot(), linked: await linkedRows() }).toEqual(before);
  });

  test("alice's upload to her ticket cannot be linked by bob to his own ticket", async () => {
    const toAlice = await uploaded(alice, aliceTicket, 'for-alice.txt', 'a');
    const before = await linkedRows();
    const result = await update(bob, bobTicket, { attachmentIds: [toAlice.id], comment: 'Mine now' });
    expect(errorCodes(result)).toEqual(['BAD_USER_INPUT']);
    expect(await linkedRows()).toBe(before);
  });

  test('anonymous: 401 UNAUTHENTICATED in the JSON error shape', async () => {
    const [mine] = await attachmentsOf(alice, aliceTicket);
    for (const response of [
      await upload(null, aliceTicket, file('a.png', PNG)),
      await download(null, mine.id),
    ]) {
      expect(response.status).toBe(401);
      expect(response.json).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) } });
    }
  });
});

describe('limits and creation', () => {
  test('11 files in one job are refused; 10 are linked', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 11; index += 1)
      ids.push((await uploaded(alice, aliceTicket, `f${index}.txt`, `file ${index}`)).id);
    const before = { rows: await api.snapshot(), linked: await linkedRows() };
    const refused = await update(alice, aliceTicket, { attachmentIds: ids });
    expect(errorCodes(refused)).toEqual(['BAD_USER_INPUT']);
    expect(refused.errors![0].extensions!.invalidFields).toEqual([
      { field: 'attachmentIds', rule: 'limitReached', message: expect.any(String) },
    ]);
    expect({ rows: await api.snapshot(), linked: await linkedRows() }).toEqual(before);
    const accepted = await update(alice, aliceTicket, { attachmentIds: ids.slice(0, 10) });
    expect(accepted.errors).toBeUndefined();
    expect(accepted.data!.updateTicket.jobs.at(-1)!.attachments.map((attachment) => attachment.id)).toEqual(
      ids.slice(0, 10),
    );
  });

  test('createTicket links files uploaded to /api/tickets/new/attachments, and only those', async () => {
    const early = await uploaded(alice, 'new', 'before.png', PNG);
    const elsewhere = await uploaded(alice, aliceTicket, 'elsewhere.txt', 'x');
    const create = (ids: string[]) =>
      api.gql<{
        createTicket: {
          id: string;
          attachments: { id: string }[];
          jobs: { attachments: { id: string }[] }[];
        };
      }>(
        `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id attachments { id } jobs { attachments { id } } } }`,
        {
          input: { projectId, title: 'Screen flickers', description: 'See the picture.', attachmentIds: ids },
        },
        { token: alice.token },
      );
    const before = await api.snapshot();
    expect(errorCodes(await create([early.id, elsewhere.id]))).toEqual(['BAD_USER_INPUT']);
    expect(await api.snapshot()).toEqual(before);
    const created = await create([early.id]);
    expect(created.errors).toBeUndefined();
    expect(created.data!.createTicket.attachments).toEqual([{ id: early.id }]);
    expect(created.data!.createTicket.jobs[0].attachments).toEqual([{ id: early.id }]);
    expect((await download(agent, early.id)).status).toBe(200);
    expect((await download(bob, early.id)).status).toBe(404);
  });

  test('an upload left unlinked for more than a day is deleted by the next upload; linked files stay', async () => {
    const abandoned = await uploaded(bob, bobTicket, 'abandoned.txt', 'forgotten');
    const kept = await uploaded(bob, bobTicket, 'kept.txt', 'sent');
    expect((await update(bob, bobTicket, { attachmentIds: [kept.id] })).errors).toBeUndefined();
    const dayAndASecond = 24 * 3600 * 1000 + 1000;
    await api.sql('UPDATE "attachment" SET "createdAt" = "createdAt" - ? WHERE "id" IN (?, ?)', [
      dayAndASecond,
      Number(abandoned.id),
      Number(kept.id),
    ]);
    await uploaded(alice, aliceTicket, 'fresh.txt', 'new');
    const remaining = await api.sql<{ id: number | string }[]>(
      'SELECT "id" FROM "attachment" WHERE "id" IN (?, ?)',
      [Number(abandoned.id), Number(kept.id)],
    );
    expect(remaining.map((row) => String(row.id))).toEqual([kept.id]);
    expect((await download(bob, abandoned.id)).status).toBe(404);
    expect((await download(bob, kept.id)).status).toBe(200);
  });

  test('SQL: a page of tickets with their files costs the same for 2 tickets as for 8', async () => {
    const PAGE = `query ($first: Int) { tickets(first: $first) { nodes { id attachments { id author { username } } jobs { attachments { id author { username } } } } } }`;
    const cost = (first: number) => api.sqlDuring(() => api.ok(PAGE, { first }, agent.token));
    for (let index = 0; index < 6; index += 1) {
      const ticket = await api.createTicket(alice, projectId, { title: `Ticket number ${index}` });
      const stored = await uploaded(alice, ticket, `t${index}.png`, PNG);
      expect((await update(alice, ticket, { attachmentIds: [stored.id] })).errors).toBeUndefined();
    }
    const small = await cost(2);
    expect(await cost(8)).toBe(small);
    const signedIn = await api.sqlDuring(() => api.ok('{ me { id } }', {}, agent.token));
    // The page of tickets, their jobs, the files of the tickets, those of the jobs, their authors.
    expect(small).toBe(signedIn + 5);
  });
});
