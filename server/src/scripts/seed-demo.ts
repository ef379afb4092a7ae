import 'reflect-metadata';
import { AccountTemplate } from '../accounts/account-messages';
import { UserToken } from '../accounts/user-token.entity';
import { ConfigError, loadConfig } from '../config';
import { type Database, openDatabase } from '../database/data-source';
import { createServices } from '../services';
import { Priority, TicketCategory, TicketStatus } from '../tickets/ticket.enums';
import type { UpdateTicketInput } from '../tickets/ticket.inputs';
import { Role } from '../users/role';
import { OutboxMessage } from '../outbox/outbox-message.entity';
import { User } from '../users/user.entity';
import { rawQuery } from '../database/sql';
import { answeringJob } from '../migrations/1765700000000-team-figures';
import { rateLimitsOf } from '../limits/rate-limits-of';
import { isPostgresUrl } from '../database/database-url';
import { describePostgresTarget } from '../database/startup-checks';

const DEMO_PASSWORD = 'demo-password-2026';

const accounts = [
  { username: 'alice', email: 'alice@example.com', role: Role.ADMIN },
  { username: 'bruno', email: 'bruno@example.com', role: Role.AGENT },
  { username: 'chloe', email: 'chloe@example.com', role: Role.AGENT },
  { username: 'dev.reporter', email: 'dev@example.com', role: Role.USER },
  { username: 'emma', email: 'emma@example.com', role: Role.USER },
];

const projects = [
  { name: 'Mobile app', description: 'The iOS and Android app used by field teams.' },
  { name: 'Website', description: 'The public website and its contact forms.' },
  { name: 'Data export', description: 'CSV and API exports for partners.' },
];

type Step = { by: string; input: UpdateTicketInput };
const tickets: {
  project: number;
  author: string;
  title: string;
  description: string;
  category: TicketCategory;
  steps: Step[];
}[] = [
  {
    project: 0,
    author: 'dev.reporter',
    title: 'App crashes when opening a photo',
    description: 'On Android 14, tapping a photo in the gallery closes the app at once.',
    category: TicketCategory.BUG,
    steps: [
      {
        by: 'bruno',
        input: { priority: Priority.HIGH, assigneeId: 'bruno', status: TicketStatus.IN_PROGRESS },
      },
      {
        by: 'bruno',
        input: { comment: 'Reproduced on a Pixel 8: the image decoder runs out of memory.', internal: true },
      },
      {
        by: 'bruno',
        input: {
          status: TicketStatus.RESOLVED,
          comment: 'Fixed in version 2.4.1: photos are now downscaled.',
        },
      },
    ],
  },
  {
    project: 1,
    author: 'emma',
    title: 'Contact form never sends the confirmation email',
    description: 'I filled the contact form twice yesterday and received nothing.',
    category: TicketCategory.BUG,
    steps: [
      {
        by: 'chloe',
        input: { status: TicketStatus.WAITING, comment: 'Could you check your spam folder and tell us?' },
      },
      { by: 'emma', input: { comment: 'Nothing in spam either.' } },
    ],
  },
  {
    project: 2,
    author: 'dev.reporter',
    title: 'Add a column with the export date',
    description: 'Partners would like to know when each CSV file was produced.',
    category: TicketCategory.IMPROVEMENT,
    steps: [{ by: 'alice', input: { priority: Priority.LOW } }],
  },
  {
    project: 0,
    author: 'emma',
    title: 'How do I change my profile picture?',
    description: 'I cannot find the setting in the app.',
    category: TicketCategory.QUESTION,
    steps: [
      {
        by: 'chloe',
        input: { status: TicketStatus.CLOSED, comment: 'Settings → Profile → tap the picture.' },
      },
    ],
  },
  {
    project: 1,
    author: 'emma',
    title: 'The home page is slow on mobile',
    description: 'It takes more than five seconds to show anything on a 4G connection.',
    category: TicketCategory.BUG,
    steps: [{ by: 'bruno', input: { priority: Priority.URGENT } }],
  },
  {
    project: 2,
    author: 'dev.reporter',
    title: 'Export fails for more than 10,000 rows',
    description: 'The download stops and the file is cut in the middle of a line.',
    category: TicketCategory.BUG,
    steps: [],
  },
];

const HOUR_MS = 3_600_000;

/**
 * The services stamp everything "now"; a demo reads better with tickets opened over the last weeks and
 * worked on over the following hours: each ticket and its jobs are moved back, keeping their order.
 */
async function backdate(database: Database, history: { ticketId: number; daysAgo: number }[]): Promise<void> {
  await database.transaction(async (manager) => {
    for (const { ticketId, daysAgo } of history) {
      const opened = Date.now() - daysAgo * 24 * HOUR_MS;
      const jobs: { id: number }[] = await rawQuery(
        manager,
        'SELECT id FROM "job" WHERE "ticketId" = ? ORDER BY id',
        [ticketId],
      );
      for (const [step, job] of jobs.entries()) {
        await rawQuery(manager, 'UPDATE "job" SET "createdAt" = ? WHERE id = ?', [
          opened + step * 5 * HOUR_MS,
          job.id,
        ]);
      }
      const last = opened + (jobs.length - 1) * 5 * HOUR_MS;
      await rawQuery(
        manager,
        // The first answer moved with its job (the trigger that keeps it sees inserts only).
        'UPDATE "ticket" SET "createdAt" = ?, "updatedAt" = ?, "closedAt" = CASE WHEN "closedAt" IS NULL THEN NULL ELSE CAST(? AS bigint) END, ' +
          `"firstResponseAt" = (SELECT MIN("j"."createdAt") FROM "job" "j" WHERE "j"."ticketId" = "ticket"."id" AND ${answeringJob('"j"')}) WHERE id = ?`,
        [opened, last, last, ticketId],
      );
    }
  });
}

/**
 * The demo addresses cannot receive mail: they count as verified (notifications go only to verified
 * addresses), and their verification links are dropped rather than sent.
 */
async function markDemoAddressesVerified(database: Database): Promise<void> {
  await database.transaction(async (manager) => {
    await manager.createQueryBuilder().update(User).set({ emailVerified: true }).execute();
    await manager.createQueryBuilder().delete().from(UserToken).execute();
    await manager.delete(OutboxMessage, { template: AccountTemplate.VERIFY_EMAIL });
  });
}

/** Fills an empty database with demo projects, users of each role and tickets with history. */
async function seed(): Promise<void> {
  const config = loadConfig();
  const database = await openDatabase(config);
  try {
    if ((await database.manager.count(User)) > 0) {
      console.error('The database already has accounts: the demo data goes into an empty database only.');
      process.exitCode = 1;
      return;
    }
    const services = createServices(database, config);
    const users = new Map<string, User>();
    for (const account of accounts) {
      const user = await services.users.register({ ...account, password: DEMO_PASSWORD });
      users.set(account.username, user);
    }
    await markDemoAddressesVerified(database);
    const admin = users.get('alice')!;
    for (const account of accounts.filter((a) => a.role !== Role.USER && a.username !== 'alice')) {
      users.set(
        account.username,
        await services.users.setRole(admin, users.get(account.username)!.id, account.role),
      );
    }
    const projectIds = [];
    for (const project of projects) projectIds.push((await services.projects.create(admin, project)).id);
    const history: { ticketId: number; daysAgo: number }[] = [];
    for (const [index, ticket] of tickets.entries()) {
      const created = await services.tickets.create(users.get(ticket.author)!, {
        projectId: String(projectIds[ticket.project]),
        title: ticket.title,
        description: ticket.description,
        category: ticket.category,
      });
      for (const step of ticket.steps) {
        const input = { ...step.input };
        if (input.assigneeId) input.assigneeId = String(users.get(input.assigneeId)!.id);
        await services.tickets.update(users.get(step.by)!, created.id, input);
      }
      history.push({ ticketId: created.id, daysAgo: 3 + ((index * 11) % 40) });
    }
    await backdate(database, history);
    const where = isPostgresUrl(config.databaseUrl)
      ? describePostgresTarget(config.databaseUrl) // never the password of the URL
      : config.databaseUrl || config.dataDir;
    console.log(`Demo data written to ${where}. Log in with any of:`);
    for (const account of accounts) {
      console.log(`  ${account.role.padEnd(5)}  ${account.username.padEnd(12)}  password: ${DEMO_PASSWORD}`);
    }
  } finally {
    await rateLimitsOf(database).close();
    await database.close();
  }
}

seed().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? `Configuration error: ${error.message}` : error);
  process.exit(1);
});
