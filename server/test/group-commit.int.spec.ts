import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Ticket } from '../src/tickets/ticket.entity';
import { Priority, TicketCategory, TicketStatus } from '../src/tickets/ticket.enums';
import { ChildServer } from './support/child-server';
import { CREATE_PROJECT, CREATE_TICKET, UPDATE_PROJECT } from './support/operations';
import { onPostgres, sqlBeside } from './support/postgres-project';
import { type GraphQLResponse, TestApi } from './support/test-server';

/**
 * Many createTicket at once: on SQLite they share commits (group commit), each in a savepoint of its
 * own. Whatever shares a commit with a failing piece of work is saved whole, and the failing one leaves
 * nothing behind; what was acknowledged is on disk (it survives a SIGKILL). The same holds on PostgreSQL,
 * where each transaction commits alone.
 */
const CONCURRENT = 12;

describe('concurrent creates, one refused and one failing mid-transaction', () => {
  let api: TestApi;
  let token: string;
  let adminId: number;
  let projectId: string;
  let archivedId: string;

  beforeAll(async () => {
    api = await TestApi.start();
    const { admin } = await api.registerAdminAndAgent();
    token = admin.token;
    adminId = Number(admin.id);
    const project = (name: string) =>
      api.ok(CREATE_PROJECT, { input: { name, description: 'Group commit.' } }, token);
    projectId = (await project('Harbour')).createProject.id;
    archivedId = (await project('Old pier')).createProject.id;
    await api.ok(UPDATE_PROJECT, { id: archivedId, input: { archived: true } }, token);
  }, 30_000);
  afterAll(() => api.stop());

  test('the others are all saved with their job and event; the failing ones changed nothing', async () => {
    // A request the service sheds under load (OVERLOADED) ran nothing: it is sent again, as a client would.
    const create = async (title: string, project = projectId): Promise<GraphQLResponse> => {
      for (;;) {
        const answer = await api.gql(
          CREATE_TICKET,
          { input: { projectId: project, title, description: 'At once.' } },
          { token },
        );
        if (answer.errors?.[0]?.extensions?.reason !== 'OVERLOADED') return answer;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    const { database } = api.server.services;
    // Writes a ticket, then fails: inside the same groups as the requests on SQLite.
    const failing = database.transaction(async (manager) => {
      await manager.insert(Ticket, {
        title: 'never saved',
        description: 'The unit that fails after writing.',
        status: TicketStatus.OPEN,
        priority: Priority.NORMAL,
        category: TicketCategory.OTHER,
        projectId: Number(projectId),
        authorId: adminId,
        createdAt: new Date(),
        updatedAt: new Date(),
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('the rule refused after writing');
    });
    const titles = Array.from({ length: CONCURRENT }, (_, i) => `Buoy ${i} adrift`);
    const [answers, refused, failure] = await Promise.all([
      Promise.all(titles.map((title) => create(title))),
      create('On an archived project', archivedId),
      failing.then(
        () => 'committed',
        (error: Error) => error.message,
      ),
    ]);

    expect(answers.map((answer) => answer.errors)).toEqual(titles.map(() => undefined));
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(failure).toBe('the rule refused after writing');
    const ids = answers.map((answer) => Number(answer.data!.createTicket.id));
    expect(new Set(ids).size).toBe(CONCURRENT);

    const saved = await api.sql<{ id: number; title: string; jobs: number; events: number }[]>(
      `SELECT t."id", t."title",
              (SELECT COUNT(*) FROM "job" j WHERE j."ticketId" = t."id") AS "jobs",
              (SELECT COUNT(*) FROM "event" e WHERE e."ticketId" = t."id") AS "events"
         FROM "ticket" t ORDER BY t."id"`,
    );
    expect(saved.map((row) => ({ ...row, jobs: Number(row.jobs), events: Number(row.events) }))).toEqual(
      ids.map((id, i) => ({ id, title: titles[i], jobs: 1, events: 1 })).sort((a, b) => a.id - b.id),
    );
    // And the service goes on: a transaction after the groups is a real one.
    expect((await create('After the crowd')).errors).toBeUndefined();
  });
});

describe('acknowledged = on disk', () => {
  let folder: string;

  beforeAll(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-group-commit-'));
  });
  afterAll(() => fs.rmSync(folder, { recursive: true, force: true }));

  test('every ticket acknowledged before a SIGKILL in the middle of concurrent creates is there after it', async () => {
    const dataDir = path.join(folder, 'data');
    const server = await ChildServer.start({ dataDir });
    const { token, projectId } = await server.adminAndProject();
    const acknowledged = new Map<number, string>();
    let killed = false;
    const writer = async (writerIndex: number) => {
      for (let i = 0; !killed; i += 1) {
        const title = `Writer ${writerIndex} ticket ${i}`;
        const result = await server.createTicket(token, projectId, title).catch(() => null);
        if (result?.data?.createTicket) acknowledged.set(Number(result.data.createTicket.id), title);
        if (acknowledged.size >= 60 && !killed) {
          killed = true;
          server.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 10 }, (_, i) => writer(i)));
    await server.exitWithin(5000);

    const { rows } = await sqlBeside<{ id: number; title: string }>(
      dataDir,
      `SELECT t."id", t."title" FROM "ticket" t
        WHERE EXISTS (SELECT 1 FROM "job" j WHERE j."ticketId" = t."id")`,
    );
    const onDisk = new Map(rows.map((row) => [Number(row.id), row.title]));
    const lost = [...acknowledged].filter(([id, title]) => onDisk.get(id) !== title);
    expect({ acknowledged: acknowledged.size >= 60, lost }).toEqual({ acknowledged: true, lost: [] });
    if (!onPostgres) {
      const { rows: integrity } = await sqlBeside<{ integrity_check: string }>(
        dataDir,
        'PRAGMA integrity_check',
      );
      expect(integrity).toEqual([{ integrity_check: 'ok' }]);
    }
  }, 30_000);
});
