import DataLoader from 'dataloader';
import type BetterSqlite3 from 'better-sqlite3';
import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { whereTicketVisible } from './access/access-policy';
import type { Database } from './database/data-source';
import { rawQuery } from './database/sql';
import { sqliteReadRows } from './database/sqlite-reads';
import { Project } from './projects/project.entity';
import { type FieldChange, Job } from './tickets/job.entity';
import { Ticket } from './tickets/ticket.entity';
import {
  type Priority,
  type TicketCategory,
  firstDoneStatusRank,
  priorityOrder,
  statusOrder,
} from './tickets/ticket.enums';
import type { Role } from './users/role';
import { User } from './users/user.entity';
import { userColumns, userFromRow } from './users/user-row';
import { recentDeliveriesOf } from './webhooks/recent-deliveries';
import type { WebhookDelivery } from './webhooks/webhook-delivery';

/**
 * Users by id, which also answers at once for a user this request has read already: a page's jobs are
 * mostly written by the people its tickets name, and a value spares the promise and the microtasks of
 * a load for each of hundreds of jobs.
 */
export class UserLoader extends DataLoader<number, User | null> {
  private readonly read: Map<number, User | null>;

  constructor(load: (ids: readonly number[]) => Promise<(User | null)[]>) {
    const read = new Map<number, User | null>();
    super(async (ids) => {
      const users = await load(ids);
      ids.forEach((id, index) => read.set(id, users[index]));
      return users;
    });
    this.read = read;
  }

  /** The user if this request has read it (null: there is none), undefined if not read yet. */
  known(id: number): User | null | undefined {
    return this.read.get(id);
  }

  override prime(id: number, user: User | null | PromiseLike<User | null> | Error): this {
    if (user === null || user instanceof User) this.read.set(id, user);
    return super.prime(id, user);
  }
}

/** Per-request batching: a page of N tickets costs one query per relation, not N. */
export interface Loaders {
  readonly userById: UserLoader;
  readonly projectById: DataLoader<number, Project | null>;
  readonly ticketById: DataLoader<number, Ticket | null>;
  /** One job, whoever may see it: the caller applies visibility (an ADMIN's webhook deliveries). */
  readonly jobById: DataLoader<number, Job | null>;
  /** Every job of each ticket, oldest first; visibility is applied by the caller. */
  readonly jobsByTicketId: DataLoader<number, Job[]>;
  /** Open tickets per project, counting only the tickets the viewer may see. */
  readonly openTicketCountByProjectId: DataLoader<number, number>;
  /** The last deliveries of each webhook, newest first (ADMIN only, checked by the resolver). */
  readonly recentDeliveriesByWebhookId: DataLoader<number, WebhookDelivery[]>;
}

function byId<T extends { id: number }>(rows: T[], ids: readonly number[]): (T | null)[] {
  const map = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => map.get(id) ?? null);
}

/*
 * The loaders read rows with one plain statement each and build the entities TypeORM would have built:
 * its query builder and hydration were a quarter of the CPU of a page of tickets with their jobs.
 */

type Flag = number | boolean;
type Millis = number | string;

/**
 * `IN (?, ?, …)` for the ids, padded to a power of two by repeating the last one: a few statement
 * texts per loader, which the statement cache keeps prepared, instead of one per batch size.
 */
export function inList(ids: readonly number[]): { sql: string; parameters: number[] } {
  const size = 2 ** Math.ceil(Math.log2(Math.max(ids.length, 1)));
  const parameters = new Array<number>(size);
  for (let index = 0; index < size; index++) parameters[index] = ids[Math.min(index, ids.length - 1)];
  return { sql: inListText(size), parameters };
}

/** `IN (?, ?, …)` of each power of two, made once: every load of every page asks for one. */
const inListTexts = new Map<number, string>();

function inListText(size: number): string {
  let text = inListTexts.get(size);
  if (text === undefined) {
    text = `IN (${Array.from({ length: size }, () => '?').join(', ')})`;
    inListTexts.set(size, text);
  }
  return text;
}

/** One read with `?` placeholders on either database (rawQuery), straight from better-sqlite3 on SQLite. */
export function readRows<T>(
  manager: EntityManager,
  text: string,
  parameters: readonly unknown[],
): Promise<T[]> {
  const connection = sqliteConnection(manager);
  if (!connection) return rawQuery<T[]>(manager, text, parameters);
  return sqliteReadRows<T>(manager.connection, connection, text, parameters);
}

/**
 * SQLite's only connection (reads see what a transaction on it has written so far, as through the
 * manager); null on PostgreSQL.
 */
function sqliteConnection(manager: EntityManager): BetterSqlite3.Database | null {
  const dataSource = manager.connection;
  if (dataSource.options.type !== 'better-sqlite3') return null;
  const driver = dataSource.driver as unknown as { databaseConnection?: BetterSqlite3.Database };
  return driver.databaseConnection ?? null;
}

/**
 * The rows of a query the query builder wrote (its own placeholders), read like readRows: straight from
 * better-sqlite3 on SQLite, through manager (and its transaction, if any) on PostgreSQL. Only the text
 * is built by TypeORM; no entity is hydrated.
 */
export function readBuiltRows<T>(
  manager: EntityManager,
  query: SelectQueryBuilder<ObjectLiteral>,
): Promise<T[]> {
  const [text, parameters] = query.getQueryAndParameters();
  const connection = sqliteConnection(manager);
  return connection
    ? sqliteReadRows<T>(manager.connection, connection, text, parameters)
    : (manager.query(text, parameters) as Promise<T[]>);
}

/** The entities of the given ids, in the order asked, null where none: one statement. */
async function entitiesByIds<Row, T extends { id: number }>(
  manager: EntityManager,
  select: string,
  ids: readonly number[],
  fromRow: (row: Row) => T,
): Promise<(T | null)[]> {
  const list = inList(ids);
  const rows = await readRows<Row>(manager, byIdsText(select, list.sql), list.parameters);
  return byId(rows.map(fromRow), ids);
}

/**
 * The text of a read by ids, the same string object each time: the statement cache looks it up by
 * its text, and a string made anew is hashed anew (a few hundred characters, several times a request).
 */
const byIdsTexts = new Map<string, Map<string, string>>();

function byIdsText(select: string, list: string): string {
  let ofSelect = byIdsTexts.get(select);
  if (!ofSelect) byIdsTexts.set(select, (ofSelect = new Map()));
  let text = ofSelect.get(list);
  if (text === undefined) {
    text = `${select} WHERE "id" ${list}`;
    ofSelect.set(list, text);
  }
  return text;
}

const projectColumns = '"id", "name", "nameKey", "description", "archived", "createdAt"';

function projectFromRow(row: {
  id: number;
  name: string;
  nameKey: string;
  description: string;
  archived: Flag;
  createdAt: Millis;
}): Project {
  const project = new Project();
  project.id = row.id;
  project.name = row.name;
  project.nameKey = row.nameKey;
  project.description = row.description;
  project.archived = Boolean(row.archived);
  project.createdAt = new Date(Number(row.createdAt));
  return project;
}

const ticketColumnNames = [
  'id',
  'title',
  'description',
  'status',
  'priority',
  'category',
  'projectId',
  'authorId',
  'assigneeId',
  'createdAt',
  'updatedAt',
  'closedAt',
] as const;

/** Every column of a ticket, as ticketFromRow reads them. */
export const ticketColumns = ticketColumnNames.map((name) => `"${name}"`).join(', ');

/** Every column of a ticket aliased `t` in a query that may join other tables, as ticketFromRow reads them. */
export const aliasedTicketColumns = ticketColumnNames.map((name) => `"t"."${name}" AS "${name}"`).join(', ');

export interface TicketRow {
  id: number;
  title: string;
  description: string;
  status: number;
  priority: number;
  category: string;
  projectId: number;
  authorId: number;
  assigneeId: number | null;
  createdAt: Millis;
  updatedAt: Millis;
  closedAt: Millis | null;
}

/** The Ticket TypeORM would have built from its row. */
export function ticketFromRow(row: TicketRow): Ticket {
  const ticket = new Ticket();
  ticket.id = row.id;
  ticket.title = row.title;
  ticket.description = row.description;
  ticket.status = statusOrder[Number(row.status)];
  ticket.priority = priorityOrder[Number(row.priority)] as Priority;
  ticket.category = row.category as TicketCategory;
  ticket.projectId = row.projectId;
  ticket.authorId = row.authorId;
  ticket.assigneeId = row.assigneeId;
  ticket.createdAt = new Date(Number(row.createdAt));
  ticket.updatedAt = new Date(Number(row.updatedAt));
  ticket.closedAt = row.closedAt == null ? null : new Date(Number(row.closedAt));
  return ticket;
}

const jobColumns =
  '"id", "ticketId", "authorId", "authorRole", "createdAt", "comment", "internal", "status", "changes"';

export function jobFromRow(row: {
  id: number;
  ticketId: number;
  authorId: number;
  authorRole: Role;
  createdAt: Millis;
  comment: string | null;
  internal: Flag;
  status: number;
  changes: string;
}): Job {
  const job = new Job();
  job.id = row.id;
  job.ticketId = row.ticketId;
  job.authorId = row.authorId;
  job.authorRole = row.authorRole;
  job.createdAt = new Date(Number(row.createdAt));
  job.comment = row.comment;
  job.internal = Boolean(row.internal);
  job.status = statusOrder[Number(row.status)];
  // Parsed here, not on first read: a getter per job (a closure, an object in dictionary mode) held
  // ~100 MB more under load on Node.js 24 for no CPU saved (a page asks for changes).
  job.changes = JSON.parse(row.changes) as FieldChange[];
  return job;
}

const selectUsers = `SELECT ${userColumns} FROM "user"`;
const selectProjects = `SELECT ${projectColumns} FROM "project"`;
const selectTickets = `SELECT ${ticketColumns} FROM "ticket"`;
const selectJobs = `SELECT ${jobColumns} FROM "job"`;

/** The jobs of tickets, oldest first, by the `IN (…)` list (byIdsText says why it is kept). */
const jobsOfTicketsTexts = new Map<string, string>();

function jobsOfTicketsText(list: string): string {
  let text = jobsOfTicketsTexts.get(list);
  if (text === undefined) {
    text = `${selectJobs} WHERE "ticketId" ${list} ORDER BY "id"`;
    jobsOfTicketsTexts.set(list, text);
  }
  return text;
}

/**
 * The loaders of one request, each made when first used: a request uses two or three of the seven (a
 * ticket page: users, projects, jobs), and the context makes them twice (for the context, then again
 * for the principal's copy of it).
 */
class RequestLoaders implements Loaders {
  private user?: UserLoader;
  private project?: DataLoader<number, Project | null>;
  private ticket?: DataLoader<number, Ticket | null>;
  private job?: DataLoader<number, Job | null>;
  private jobsOfTicket?: DataLoader<number, Job[]>;
  private openTicketCount?: DataLoader<number, number>;
  private recentDeliveries?: DataLoader<number, WebhookDelivery[]>;

  constructor(
    private readonly manager: EntityManager,
    private readonly viewer: () => User | null,
  ) {}

  get userById(): UserLoader {
    return (this.user ??= new UserLoader((ids) =>
      entitiesByIds(this.manager, selectUsers, ids, userFromRow),
    ));
  }

  get projectById(): DataLoader<number, Project | null> {
    return (this.project ??= new DataLoader((ids) =>
      entitiesByIds(this.manager, selectProjects, ids, projectFromRow),
    ));
  }

  get ticketById(): DataLoader<number, Ticket | null> {
    return (this.ticket ??= new DataLoader((ids) =>
      entitiesByIds(this.manager, selectTickets, ids, ticketFromRow),
    ));
  }

  get jobById(): DataLoader<number, Job | null> {
    return (this.job ??= new DataLoader((ids) => entitiesByIds(this.manager, selectJobs, ids, jobFromRow)));
  }

  get jobsByTicketId(): DataLoader<number, Job[]> {
    return (this.jobsOfTicket ??= new DataLoader(async (ticketIds) => {
      const list = inList(ticketIds);
      const rows = await readRows<Parameters<typeof jobFromRow>[0]>(
        this.manager,
        jobsOfTicketsText(list.sql),
        list.parameters,
      );
      const grouped = new Map<number, Job[]>(ticketIds.map((id) => [id, []]));
      for (const row of rows) grouped.get(row.ticketId)?.push(jobFromRow(row));
      return ticketIds.map((id) => grouped.get(id) ?? []);
    }));
  }

  get openTicketCountByProjectId(): DataLoader<number, number> {
    return (this.openTicketCount ??= new DataLoader(async (projectIds) => {
      const user = this.viewer();
      const query = this.manager
        .createQueryBuilder(Ticket, 't')
        .select('t.projectId', 'projectId')
        .addSelect('COUNT(*)', 'count')
        .where('t.projectId IN (:...projectIds)', { projectIds: [...projectIds] })
        .andWhere('t.status < :done', { done: firstDoneStatusRank })
        .groupBy('t.projectId');
      if (!user) return projectIds.map(() => 0);
      whereTicketVisible(query, user);
      const rows = await query.getRawMany<{ projectId: number | string; count: number | string }>();
      const counts = new Map(rows.map((row) => [Number(row.projectId), Number(row.count)]));
      return projectIds.map((id) => counts.get(id) ?? 0);
    }));
  }

  get recentDeliveriesByWebhookId(): DataLoader<number, WebhookDelivery[]> {
    return (this.recentDeliveries ??= new DataLoader((webhookIds) =>
      recentDeliveriesOf(this.manager, webhookIds),
    ));
  }
}

export function createLoaders(database: Database, viewer: () => User | null): Loaders {
  return new RequestLoaders(database.manager, viewer);
}
