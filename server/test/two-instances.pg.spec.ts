import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { postgresMigrations } from '../src/migrations';
import { ChildServer } from './support/child-server';
import { errorCodes } from './support/test-server';
import { MailCatcher } from './support/mail-catcher';
import { CREATE_PROJECT, LOGIN, ME, REGISTER, SET_ROLE, TICKET, UPDATE_TICKET } from './support/operations';
import { sqlBeside, testDatabaseFor } from './support/postgres-project';

/**
 * Two service processes on one PostgreSQL database, as behind a load balancer: each with its own data
 * folder, sharing only DATABASE_URL and JWT_SECRET. What one instance does, the other must honour.
 * Runs in the `integration (postgres)` project only (*.pg.spec.ts).
 */
jest.setTimeout(60_000);

const PASSWORD = 'lighthouse keeper 1907';
const folders: string[] = [];
let catcher: MailCatcher;
let one: ChildServer;
let two: ChildServer;
let sharedDir: string;

beforeAll(async () => {
  // A slow mail server (150 ms a message): the two workers' runs overlap and race for the same rows.
  catcher = await MailCatcher.start({ acceptDelayMs: 150 });
  for (let i = 0; i < 3; i += 1) folders.push(fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-two-')));
  // The database belongs to a third folder: neither instance's own.
  sharedDir = folders[2];
  const { databaseUrl, jwtSecret } = await testDatabaseFor(sharedDir);
  const env = { DATABASE_URL: databaseUrl, JWT_SECRET: jwtSecret, SMTP_URL: catcher.url, LOG_LEVEL: 'info' };
  // Both start at once on the empty database: one migrates, the other waits for it, neither fails.
  [one, two] = await Promise.all([
    ChildServer.start({ dataDir: folders[0], env }),
    ChildServer.start({ dataDir: folders[1], env }),
  ]);
});

afterAll(async () => {
  await Promise.all([one?.stop(), two?.stop()]);
  await catcher?.stop();
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

async function register(server: ChildServer, username: string): Promise<{ id: string; token: string }> {
  const { register: made } = await server.ok(REGISTER, {
    input: { username, email: `${username}@example.com`, password: PASSWORD },
  });
  return { id: made.user.id as string, token: made.token as string };
}

let admin: { id: string; token: string };
let projectId: string;

test('the schema was made once, by whichever instance came first', async () => {
  const { rows } = await sqlBeside<{ name: string }>(
    sharedDir,
    `SELECT "name" FROM "migrations" ORDER BY "id"`,
  );
  // Each migration of the PostgreSQL set ran exactly once, though both instances started together.
  expect(rows.map((row) => row.name)).toEqual(
    postgresMigrations.map((Migration) => new Migration().name ?? Migration.name),
  );
  admin = await register(one, 'keeper');
  const { createProject } = await two.ok(CREATE_PROJECT, { input: { name: 'Lighthouse' } }, admin.token);
  projectId = createProject.id as string;
});

test('a session revoked on one instance is refused by the other at its next request', async () => {
  const { login } = await one.ok(LOGIN, { input: { login: 'keeper', password: PASSWORD } });
  const session = login.token as string;
  expect((await two.ok(ME, {}, session)).me.username).toBe('keeper');
  expect(await one.ok('mutation { logout }', {}, session)).toEqual({ logout: true });
  // `me` answers null to a caller without a session; a list needs one.
  expect((await two.gql(ME, {}, session)).data?.me ?? null).toBeNull();
  expect(errorCodes(await two.gql('{ tickets { totalCount } }', {}, session))).toEqual(['UNAUTHENTICATED']);
  // The other sessions of the account are untouched.
  expect((await two.ok(ME, {}, admin.token)).me.username).toBe('keeper');
});

test('failed logins are counted across both instances: the 10th locks the login on either', async () => {
  await register(two, 'target');
  for (let attempt = 0; attempt < 10; attempt += 1) {
    const server = attempt % 2 === 0 ? one : two;
    const wrong = await server.gql(LOGIN, { input: { login: 'target', password: `wrong guess ${attempt}` } });
    expect(wrong.errors?.map((error) => error.message)).toEqual(['Invalid login or password.']);
  }
  for (const server of [one, two]) {
    const locked = await server.gql(LOGIN, { input: { login: 'target', password: PASSWORD } });
    expect(errorCodes(locked)).toEqual(['RATE_LIMITED']);
  }
});

test('concurrent edits of one ticket from both instances keep every job, in order, and a consistent status', async () => {
  const agentOne = await register(one, 'agent-one');
  const agentTwo = await register(two, 'agent-two');
  await one.ok(SET_ROLE, { id: agentOne.id, role: 'AGENT' }, admin.token);
  await two.ok(SET_ROLE, { id: agentTwo.id, role: 'AGENT' }, admin.token);
  const created = await one.createTicket(admin.token, projectId, 'Lamp flickers');
  const ticketId = created.data!.createTicket.id as string;

  const statuses = ['IN_PROGRESS', 'WAITING', 'OPEN'];
  const edits = (server: ChildServer, token: string, who: string) =>
    Array.from({ length: 15 }, (_, i) =>
      server.gql(
        UPDATE_TICKET,
        { id: ticketId, input: { comment: `${who} ${i}`, status: statuses[i % statuses.length] } },
        token,
      ),
    );
  const answers = await Promise.all([
    ...edits(one, agentOne.token, 'one'),
    ...edits(two, agentTwo.token, 'two'),
  ]);
  // Asking for the status a ticket already has is refused (BAD_USER_INPUT), a rule that must hold
  // under concurrency too; anything else must have succeeded.
  for (const answer of answers)
    expect(errorCodes(answer).filter((code) => code !== 'BAD_USER_INPUT')).toEqual([]);
  const accepted = answers.filter((answer) => !answer.errors).length;
  expect(accepted).toBeGreaterThanOrEqual(15);

  const { ticket } = await two.ok(TICKET, { id: ticketId }, admin.token);
  const jobs = ticket.jobs as {
    id: string;
    comment: string | null;
    status: string;
    changes: { field: string; from: string; to: string }[];
  }[];
  // The opening job, then exactly one job per accepted edit: none lost, none doubled.
  expect(jobs).toHaveLength(1 + accepted);
  expect(new Set(jobs.slice(1).map((job) => job.comment)).size).toBe(accepted);
  // Each status change starts from the status the previous job left: no edit saw a stale ticket.
  for (let i = 1; i < jobs.length; i += 1) {
    const change = jobs[i].changes.find((entry) => entry.field === 'status');
    if (change) expect(change.from).toBe(jobs[i - 1].status);
    expect(jobs[i].status).toBe(change ? change.to : jobs[i - 1].status);
  }
  expect(ticket.status).toBe(jobs[jobs.length - 1].status);
  // The transactions that lost a race were run again quietly: nothing was logged as an error.
  for (const server of [one, two]) {
    expect(server.stdout.split('\n').filter((line) => line.includes('"level":50'))).toEqual([]);
  }
});

test('tickets created at once on both instances reach a history reader in order, none skipped', async () => {
  const HISTORY = `query ($first: Int, $after: String) {
    history(first: $first, after: $after) { nodes { id } pageInfo { endCursor } }
  }`;
  const seen: number[] = [];
  let after: string | null = null;
  let writing = true;
  const read = async (server: ChildServer) => {
    const { history } = await server.ok(HISTORY, { first: 7, after }, admin.token);
    seen.push(...(history.nodes as { id: string }[]).map((node) => Number(node.id)));
    after = history.pageInfo.endCursor ?? after;
  };
  // Each job insert lingers a little before its transaction commits: a job with a lower id can then be
  // still in flight when a higher one is visible, unless appends are kept in commit order.
  await sqlBeside(
    sharedDir,
    `CREATE FUNCTION linger() RETURNS trigger LANGUAGE plpgsql AS
     'BEGIN PERFORM pg_sleep(random() * 0.03); RETURN NEW; END'`,
  );
  await sqlBeside(
    sharedDir,
    `CREATE TRIGGER linger AFTER INSERT ON "job" FOR EACH ROW EXECUTE FUNCTION linger()`,
  );
  // A reader follows the feed on both instances in turn while they create tickets at once, 8 at a time.
  const reader = (async () => {
    for (let turn = 0; writing; turn += 1) await read(turn % 2 === 0 ? one : two);
  })();
  const create = async (server: ChildServer, prefix: string) => {
    for (let batch = 0; batch < 5; batch += 1) {
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          server.createTicket(admin.token, projectId, `${prefix} ${batch}-${i}`),
        ),
      );
      for (const answer of answers) expect(answer.errors).toBeUndefined();
    }
  };
  try {
    await Promise.all([create(one, 'From one'), create(two, 'From two')]);
  } finally {
    writing = false;
    await reader;
    await sqlBeside(sharedDir, `DROP TRIGGER linger ON "job"`);
  }
  for (let turn = 0; turn < 40; turn += 1) await read(turn % 2 === 0 ? one : two);
  const { rows } = await sqlBeside<{ id: number }>(sharedDir, `SELECT "id" FROM "job" ORDER BY "id"`);
  const all = rows.map((row) => Number(row.id));
  // Every job, each once, in id order: a job committed after a higher id was handed out would be missing.
  expect(seen).toEqual(all);
});

test('each outbox message is sent once, whichever instance claims it', async () => {
  const now = Date.now();
  const recipients = Array.from({ length: 30 }, (_, i) => `once-${i}@example.com`);
  for (const to of recipients) {
    await sqlBeside(
      sharedDir,
      `INSERT INTO "outbox_message" ("channel", "recipient", "recipientUserId", "template", "params",
        "subject", "state", "attempts", "createdAt", "nextAttemptAt", "claimedUntil")
       VALUES ('email', ?, NULL, 'email-changed', ?, NULL, 'PENDING', 0, ?, ?, NULL)`,
      to,
      JSON.stringify({ username: 'keeper', oldEmail: to, newEmail: 'new@example.com', changedAt: now }),
      now,
      now,
    );
  }
  // A commit on each instance wakes its worker at once (else they poll every 5 s): they race for the rows.
  await Promise.all([
    one.ok(`mutation { updateMe(input: { locale: FR }) { id } }`, {}, admin.token),
    two.ok(`mutation { updateMe(input: { locale: EN }) { id } }`, {}, admin.token),
  ]);
  for (const to of recipients) await catcher.waitFor((mail) => mail.to.includes(to), 30_000);
  await new Promise((resolve) => setTimeout(resolve, 6000)); // a second copy would come within a poll
  for (const to of recipients) expect(catcher.to(to)).toHaveLength(1);
  const { rows } = await sqlBeside<{ state: string; attempts: number; n: number }>(
    sharedDir,
    `SELECT "state", "attempts", COUNT(*) AS n FROM "outbox_message" WHERE "recipient" LIKE 'once-%'
     GROUP BY "state", "attempts"`,
  );
  expect(rows.map((row) => ({ ...row, n: Number(row.n) }))).toEqual([{ state: 'SENT', attempts: 1, n: 30 }]);
  // Both instances sent some of them, and no message was sent by both: the race did happen.
  const { rows: ids } = await sqlBeside<{ id: number }>(
    sharedDir,
    `SELECT "id" FROM "outbox_message" WHERE "recipient" LIKE 'once-%'`,
  );
  const wanted = new Set(ids.map((row) => Number(row.id)));
  const sentBy = (server: ChildServer) =>
    server.stdout
      .split('\n')
      .filter((line) => line.includes('"message sent"'))
      .map((line) => Number(JSON.parse(line).outboxId))
      .filter((id) => wanted.has(id));
  const [byOne, byTwo] = [sentBy(one), sentBy(two)];
  expect(byOne.length).toBeGreaterThan(0);
  expect(byTwo.length).toBeGreaterThan(0);
  expect(byOne.filter((id) => byTwo.includes(id))).toEqual([]);
  expect(new Set([...byOne, ...byTwo]).size).toBe(30);
});
