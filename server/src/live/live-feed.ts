import type { EntityManager } from 'typeorm';
import { canSeeJob } from '../access/access-policy';
import { BackgroundLoop } from '../background/loop';
import type { Database } from '../database/data-source';
import type { EventLog } from '../events/event-log';
import { inList, jobFromRow, readRows } from '../loaders';
import type { Job } from '../tickets/job.entity';
import { isDeactivated } from '../users/deactivation';
import type { User } from '../users/user.entity';
import { type UserRow, userColumns, userFromRow } from '../users/user-row';
import { LIVE_CLOSE, type LiveConnection, endedCredentials } from './live-connections';

/** One domain event with what every subscriber's filter needs: its job and its ticket's owner and project. */
export interface LiveEvent {
  eventId: number;
  job: Job;
  ticket: { id: number; authorId: number; projectId: number };
}

/** One open subscription, as the feed sees it. */
export interface LiveSubscriber {
  readonly userId: number;
  /** The subscription's own choice (one ticket, one project); the access rules are the feed's. */
  matches(event: LiveEvent): boolean;
  /** Whether the connection's credential still stands for this user as read now (session version…). */
  stillSignedIn(user: User): boolean;
  /** The socket it came on: its credential (logout, revoked token) is read again before each batch. */
  readonly connection?: LiveConnection;
  /** batch: a number per read of the log; the subscriber's resolvers get fresh loaders per batch. */
  deliver(job: Job, viewer: User, batch: number): void;
}

/** Events read per statement: a burst of commits is sent in a few reads, whatever the subscriber count. */
export const LIVE_BATCH_SIZE = 200;

/**
 * Hands one batch of events to every subscriber allowed to see them: each subscriber's user as read for
 * this batch (a role change or a deactivation counts at once), filtered by the one access policy.
 * Returns how many deliveries were made.
 */
export function fanOut(
  events: readonly LiveEvent[],
  users: ReadonlyMap<number, User>,
  subscribers: Iterable<LiveSubscriber>,
  batch: number,
): number {
  let delivered = 0;
  for (const subscriber of subscribers) {
    const viewer = users.get(subscriber.userId);
    if (!viewer || isDeactivated(viewer) || !subscriber.stillSignedIn(viewer)) continue;
    for (const event of events) {
      if (!subscriber.matches(event) || !canSeeJob(viewer, event.ticket, event.job)) continue;
      subscriber.deliver(event.job, viewer, batch);
      delivered += 1;
    }
  }
  return delivered;
}

type EventRow = Parameters<typeof jobFromRow>[0] & {
  eventId: number;
  jobId: number | null;
  ticketAuthorId: number;
  projectId: number;
};

/** The events after `after`, oldest first, with their jobs and tickets: one statement. */
export async function readLiveEvents(
  manager: EntityManager,
  after: number,
  limit = LIVE_BATCH_SIZE,
): Promise<{ events: LiveEvent[]; lastId: number; full: boolean }> {
  const rows = await readRows<EventRow>(
    manager,
    `SELECT e."id" AS "eventId", e."jobId" AS "jobId", j."id", j."ticketId", j."authorId", j."authorRole",
       j."createdAt", j."comment", j."internal", j."status", j."changes",
       t."authorId" AS "ticketAuthorId", t."projectId" AS "projectId"
     FROM "event" e
     LEFT JOIN "job" j ON j."id" = e."jobId"
     LEFT JOIN "ticket" t ON t."id" = e."ticketId"
     WHERE e."id" > ? ORDER BY e."id" LIMIT ?`,
    [after, limit],
  );
  const events: LiveEvent[] = [];
  for (const row of rows) {
    // A job or ticket that is gone (removed since) has nothing left to show.
    if (row.id === null || row.ticketAuthorId === null) continue;
    const job = jobFromRow(row);
    events.push({
      eventId: Number(row.eventId),
      job,
      ticket: { id: job.ticketId, authorId: Number(row.ticketAuthorId), projectId: Number(row.projectId) },
    });
  }
  return {
    events,
    lastId: rows.length > 0 ? Number(rows[rows.length - 1].eventId) : after,
    full: rows.length >= limit,
  };
}

/** The subscribers' users as they are now: one statement for all of them. */
async function readUsers(manager: EntityManager, ids: readonly number[]): Promise<Map<number, User>> {
  const list = inList(ids);
  const rows = await readRows<UserRow>(
    manager,
    `SELECT ${userColumns} FROM "user" WHERE "id" ${list.sql}`,
    list.parameters,
  );
  return new Map(rows.map((row) => [Number(row.id), userFromRow(row)]));
}

export interface LiveFeedLog {
  error(details: Record<string, unknown>, message: string): void;
}

/**
 * Live updates read the domain event log (the seam every job is recorded through, in its transaction),
 * never a copy of it. One in-memory position per instance, starting at the end of the log: woken by
 * local commits, by PostgreSQL notifications from other instances (wake()), and by a slow poll, it reads
 * what is new once for all subscribers (per batch: events, subscribers' users, and their sessions' and
 * tokens' revocations, at most four statements), then hands each subscriber what it may see: nothing to
 * a connection whose credential ended (logged out, revoked, on any instance), which it closes.
 */
export class LiveFeed {
  private readonly subscribers = new Set<LiveSubscriber>();
  private readonly loop: BackgroundLoop;
  private lastSeen = 0;
  private batch = 0;
  private started = false;
  private readonly onCommit = () => this.wake();

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    log: LiveFeedLog,
    private readonly options: {
      pollMs?: number;
      debounceMs?: number;
      batchSize?: number;
      /** The service's clock (session expiry). */
      now?: () => Date;
    } = {},
  ) {
    this.loop = new BackgroundLoop(() => this.step(), {
      intervalMs: options.pollMs ?? 5000,
      debounceMs: options.debounceMs ?? 2,
      onError: (error) => log.error({ err: error }, 'live updates failed to read the event log'),
    });
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** The newest event read so far (tests, the bench). */
  get position(): number {
    return this.lastSeen;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.lastSeen = await this.events.lastId();
    this.database.on('committed', this.onCommit);
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.database.off('committed', this.onCommit);
    await this.loop.stop();
    this.subscribers.clear();
  }

  /** Something was committed (here or, on PostgreSQL, by another instance): read soon. */
  wake(): void {
    if (this.subscribers.size > 0) this.loop.nudge();
  }

  /**
   * Adds a subscriber; it receives the events read after this. With no subscriber the feed does not read
   * at all, so the first one moves the position to the end of the log first (an old event is not news).
   * Returns the function that removes it.
   */
  async subscribe(subscriber: LiveSubscriber): Promise<() => void> {
    await this.loop.exclusive(async () => {
      if (this.subscribers.size === 0) this.lastSeen = Math.max(this.lastSeen, await this.events.lastId());
      this.subscribers.add(subscriber);
    });
    return () => this.subscribers.delete(subscriber);
  }

  /** Reads until caught up, now (tests). */
  runOnce(): Promise<void> {
    return this.loop.exclusive(async () => {
      while (await this.step());
    });
  }

  /** One batch: true while there may be more right away. */
  private async step(): Promise<boolean> {
    if (this.subscribers.size === 0 || this.loop.stopping) return false;
    const manager = this.database.manager;
    const limit = this.options.batchSize ?? LIVE_BATCH_SIZE;
    const { events, lastId, full } = await readLiveEvents(manager, this.lastSeen, limit);
    if (lastId === this.lastSeen) return false;
    this.lastSeen = lastId;
    if (events.length > 0) {
      const subscribers = [...this.subscribers];
      const users = await readUsers(manager, [...new Set(subscribers.map((s) => s.userId))]);
      // A logout or a revocation committed before these events (here or on another instance) counts now,
      // not at the next session check: nothing more reaches that socket.
      const connections = [...new Set(subscribers.flatMap((s) => (s.connection ? [s.connection] : [])))];
      const now = this.options.now?.() ?? new Date();
      const ended = connections.length > 0 ? await endedCredentials(manager, connections, now) : new Map();
      for (const [connection, reason] of ended) connection.end(LIVE_CLOSE.forbidden, reason);
      this.batch += 1;
      fanOut(
        events,
        users,
        subscribers.filter((s) => !s.connection || !ended.has(s.connection)),
        this.batch,
      );
    }
    return full;
  }
}
