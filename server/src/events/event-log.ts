import type { EntityManager } from 'typeorm';
import { type Database, holdAppendOrder } from '../database/data-source';
import { isPostgres, rawQuery } from '../database/sql';
import { DomainEvent, EventConsumerCursor } from './domain-event.entity';

export type NewDomainEvent = Omit<DomainEvent, 'id'>;

/** The first key of the consumers' advisory locks on PostgreSQL (the second is the consumer's name). */
const CONSUMER_LOCK = 7_305_102;

/**
 * The PostgreSQL channel told of new events, at commit (NOTIFY is delivered then, and only then): live
 * updates on every instance LISTEN to it (live/postgres-listener.ts) and read the log.
 */
export const EVENT_CHANNEL = 'st_event';

/** Events per consumer transaction: small, so a backlog never holds the one write queue for long. */
export const EVENT_BATCH_SIZE = 20;

/** Appends domain events (inside the caller's transaction) and feeds them to consumers, in order. */
export class EventLog {
  constructor(private readonly database: Database) {}

  /** Written with the change it describes: both are committed, or neither. */
  async append(manager: EntityManager, event: NewDomainEvent): Promise<DomainEvent> {
    // On PostgreSQL, with the lock, a notification to the other instances' live updates, sent at commit
    // (several in one transaction make one: PostgreSQL folds identical ones).
    await holdAppendOrder(manager, EVENT_CHANNEL);
    // One text for every event, prepared once on SQLite (TypeORM's insert writes the numbers into it).
    const [row] = await rawQuery<{ id: number | string }[]>(
      manager,
      'INSERT INTO "event" ("type", "ticketId", "jobId", "actorId", "createdAt") VALUES (?, ?, ?, ?, ?) RETURNING "id"',
      [event.type, event.ticketId, event.jobId, event.actorId, event.createdAt.getTime()],
    );
    return manager.create(DomainEvent, { ...event, id: Number(row.id) });
  }

  /** The id of the newest event, 0 for an empty log. */
  async lastId(manager: EntityManager = this.database.manager): Promise<number> {
    return (await manager.maximum(DomainEvent, 'id')) ?? 0;
  }

  /**
   * Hands the next events after the consumer's cursor to work, and moves the cursor in the same
   * transaction: an event is handled once, and a crash (or a failing handler) replays it, never skips it.
   * A consumer that starts on an existing log begins at its end. Returns how many events were handled.
   */
  async consume(
    consumer: string,
    work: (manager: EntityManager, events: DomainEvent[]) => Promise<void>,
    batchSize = EVENT_BATCH_SIZE,
  ): Promise<number> {
    return this.database.transaction(async (manager) => {
      // PostgreSQL, several instances: one consumes a given consumer's events at a time; the others
      // move on at once instead of doing the same work and losing the race on its cursor.
      if (isPostgres(manager)) {
        const [{ mine }] = (await manager.query(
          'SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS mine',
          [CONSUMER_LOCK, consumer],
        )) as { mine: boolean }[];
        if (!mine) return 0;
      }
      let cursor = await manager.findOneBy(EventConsumerCursor, { name: consumer });
      if (!cursor) {
        cursor = manager.create(EventConsumerCursor, {
          name: consumer,
          lastEventId: await this.lastId(manager),
        });
        await manager.save(cursor);
        return 0;
      }
      const events = await manager
        .createQueryBuilder(DomainEvent, 'e')
        .where('e.id > :after', { after: cursor.lastEventId })
        .orderBy('e.id', 'ASC')
        .limit(batchSize)
        .getMany();
      if (events.length === 0) return 0;
      await work(manager, events);
      cursor.lastEventId = events[events.length - 1].id;
      await manager.save(cursor);
      return events.length;
    });
  }
}
