import type { EntityManager } from 'typeorm';
import { BackgroundLoop } from '../background/loop';
import { type Clock, MINUTE_MS } from '../clock';
import type { Database } from '../database/data-source';
import { type DomainEvent, EventConsumerCursor } from './domain-event.entity';
import type { EventLog } from './event-log';

/**
 * Something that reacts to domain events (email notifications now; webhooks, live updates later).
 * handle() runs inside the transaction that moves the consumer's cursor: what it writes (outbox
 * messages) is committed with the cursor, or neither is, and the events come again. It must not send
 * anything itself; enqueue instead. Add one by pushing it onto `services.eventConsumers` in services.ts.
 */
export interface EventConsumer {
  /** The cursor's key (at most 40 characters); renaming it starts the consumer at the end of the log. */
  readonly name: string;
  handle(manager: EntityManager, events: DomainEvent[]): Promise<void>;
}

export interface ConsumerLog {
  error(details: Record<string, unknown>, message: string): void;
}

const FIRST_RETRY_MS = 5000;
const MAX_RETRY_MS = 5 * MINUTE_MS;

/**
 * Feeds every consumer the events after its cursor until it is caught up, woken by commits and every
 * few seconds. A consumer that throws is logged and tried again later (its cursor did not move), with
 * a growing pause; the service and the other consumers go on.
 */
export class EventConsumerRunner {
  private readonly loop: BackgroundLoop;
  /** Consumers that failed: not before this time (the clock's), and the pause that follows a new failure. */
  private readonly pauses = new Map<string, { until: number; nextMs: number }>();
  private readonly wake = () => this.loop.nudge();

  constructor(
    private readonly database: Database,
    private readonly events: EventLog,
    private readonly consumers: readonly EventConsumer[],
    private readonly log: ConsumerLog,
    private readonly clock: Clock,
    options: { intervalMs?: number; debounceMs?: number } = {},
  ) {
    this.loop = new BackgroundLoop(() => this.step(), {
      intervalMs: options.intervalMs ?? 5000,
      debounceMs: options.debounceMs ?? 10,
      onError: (error) => log.error({ err: error }, 'event consumers failed to run'),
    });
  }

  /**
   * Before the server accepts requests: a new consumer's cursor is placed at the end of the log now,
   * so the events of the first requests are not skipped by a cursor created after them.
   */
  async prepare(): Promise<void> {
    for (const consumer of this.consumers) {
      if (await this.database.manager.existsBy(EventConsumerCursor, { name: consumer.name })) continue;
      await this.events.consume(consumer.name, (manager, events) => consumer.handle(manager, events));
    }
  }

  start(): void {
    this.database.on('committed', this.wake);
    this.loop.start();
  }

  async stop(): Promise<void> {
    this.database.off('committed', this.wake);
    await this.loop.stop();
  }

  /**
   * Every consumer not paused after a failure, until caught up (tests): resolves when done; a failure
   * is logged, not thrown.
   */
  runOnce(): Promise<void> {
    return this.loop.exclusive(async () => {
      while (await this.step());
    });
  }

  /** One batch per consumer that is behind; true while any of them may have more. */
  private async step(): Promise<boolean> {
    const last = await this.events.lastId();
    let more = false;
    for (const consumer of this.consumers) {
      if (this.loop.stopping) return false;
      const pause = this.pauses.get(consumer.name);
      if (pause && this.clock.now().getTime() < pause.until) continue;
      // A read first: most commits (and this runner's own) leave every consumer caught up.
      const cursor = await this.database.manager.findOneBy(EventConsumerCursor, { name: consumer.name });
      if (cursor && cursor.lastEventId >= last) continue;
      try {
        const handled = await this.events.consume(consumer.name, (manager, events) =>
          consumer.handle(manager, events),
        );
        this.pauses.delete(consumer.name);
        if (handled > 0) more = true;
      } catch (error) {
        const nextMs = pause?.nextMs ?? FIRST_RETRY_MS;
        this.pauses.set(consumer.name, {
          until: this.clock.now().getTime() + nextMs,
          nextMs: Math.min(nextMs * 2, MAX_RETRY_MS),
        });
        this.log.error(
          { err: error, consumer: consumer.name, afterEventId: cursor?.lastEventId, retryInMs: nextMs },
          'event consumer failed; its events will be handled again',
        );
      }
    }
    return more;
  }
}
