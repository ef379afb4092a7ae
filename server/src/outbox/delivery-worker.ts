import type { EntityManager, QueryDeepPartialEntity, SelectQueryBuilder } from 'typeorm';
import { BackgroundLoop } from '../background/loop';
import { type Clock, MINUTE_MS } from '../clock';
import type { Database } from '../database/data-source';
import { type ChannelSender, SendFailed, type SentDetails } from './channel-sender';
import { safeErrorText } from './error-text';
import { withoutSecret } from './link-secrets';
import { MailServerUnreachable } from './mailer';
import { OutboxMessage, OutboxState } from './outbox-message.entity';
import { MessageCancelled } from './renderers';
import { nextAttemptAfterFailure } from './retry-schedule';
import { isPostgres } from '../database/sql';

/** While a worker sends a message, others leave it alone; a crashed worker's claim runs out after this. */
export const CLAIM_MS = 2 * MINUTE_MS;
/** The most one message may take, rendering and SMTP together: well inside its claim. */
export const SEND_DEADLINE_MS = 30_000;
/** On shutdown, how long a send in flight is waited for: a supervisor's 10 s stop timeout is enough. */
export const STOP_GRACE_MS = 5000;
/** Messages one run sends before it lets the loop breathe (it runs again at once while there are more). */
const BATCH_SIZE = 10;

export interface WorkerLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface DeliveryWorkerDeps {
  database: Database;
  clock: Clock;
  log: WorkerLog;
  /** The only messages this worker sends: one worker per channel, so a slow webhook never delays email. */
  channel: 'email' | 'webhook';
  sender: ChannelSender;
}

export interface DeliveryWorkerOptions {
  intervalMs?: number;
  debounceMs?: number;
  sendDeadlineMs?: number;
  stopGraceMs?: number;
}

/** One message, this worker's until `until`: every write about it is made only while that still holds. */
interface Claim {
  message: OutboxMessage;
  until: Date;
}

/** A send that did not end within its deadline: whatever it waits for hangs, for everyone. */
class SendDeadlineExceeded extends Error {}

/**
 * Delivers one channel of the outbox one message at a time: claims the oldest due message, sends it
 * through the channel's sender within a deadline, then records SENT or the failure (retried on the
 * schedule of retry-schedule.ts, FAILED after the last try) only if its claim is still this worker's, so
 * two processes never both send it. A message with an orderKey waits for the earlier ones with the same
 * key. A mail server that cannot be reached, or a send past its deadline, ends the run: the others stay
 * due, untried. Runs beside the requests, never inside them: woken by commits and every few seconds.
 */
export class DeliveryWorker {
  private readonly loop: BackgroundLoop;
  private readonly wake = () => this.loop.nudge();
  private readonly sendDeadlineMs: number;
  private readonly stopGraceMs: number;
  /** Set when stop() stopped waiting for a send: whatever it ends with is not written any more. */
  private abandoned = false;

  constructor(
    private readonly deps: DeliveryWorkerDeps,
    options: DeliveryWorkerOptions = {},
  ) {
    this.sendDeadlineMs = options.sendDeadlineMs ?? SEND_DEADLINE_MS;
    this.stopGraceMs = options.stopGraceMs ?? STOP_GRACE_MS;
    this.loop = new BackgroundLoop(async () => (await this.deliverDue()).more, {
      intervalMs: options.intervalMs ?? 5000,
      debounceMs: options.debounceMs ?? 20,
      onError: (error) =>
        deps.log.error({ err: error, channel: deps.channel }, 'outbox delivery failed to run'),
    });
  }

  start(): void {
    this.deps.database.on('committed', this.wake);
    this.loop.start();
  }

  /**
   * Starts nothing more and waits for the send in flight, at most stopGraceMs: a send still hanging
   * then is left as it is (PENDING, claimed); it goes out once its claim runs out (CLAIM_MS), by this
   * process if it is still running, else by the next start.
   */
  async stop(): Promise<void> {
    this.deps.database.off('committed', this.wake);
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), this.stopGraceMs);
    });
    const finished = this.loop.stop().then(() => false);
    const abandoned = await Promise.race([finished, gaveUp]);
    clearTimeout(timer);
    if (abandoned) {
      this.abandoned = true;
      this.deps.log.warn(
        { waitedMs: this.stopGraceMs, claimMs: CLAIM_MS },
        `a send did not finish in time; left pending, it goes out once its claim runs out (${CLAIM_MS / MINUTE_MS} minutes), by this process if it is still running, else by the next start`,
      );
    }
  }

  /** One run now, in the loop's turn (tests): how many messages were tried. */
  async runOnce(): Promise<number> {
    return (await this.loop.exclusive(() => this.deliverDue())).tried;
  }

  private async deliverDue(): Promise<{ tried: number; more: boolean }> {
    let tried = 0;
    while (tried < BATCH_SIZE && !this.loop.stopping) {
      const claim = await this.claimNext();
      if (!claim) return { tried, more: false };
      tried += 1;
      if ((await this.deliver(claim)) === 'stop-run') return { tried, more: false };
    }
    return { tried, more: tried === BATCH_SIZE };
  }

  private dueQuery(manager: EntityManager, now: Date): SelectQueryBuilder<OutboxMessage> {
    return (
      manager
        .createQueryBuilder(OutboxMessage, 'm')
        .where('m.channel = :channel', { channel: this.deps.channel })
        .andWhere('m.state = :pending', { pending: OutboxState.PENDING })
        .andWhere('m.nextAttemptAt <= :now', { now: now.getTime() })
        .andWhere('(m.claimedUntil IS NULL OR m.claimedUntil <= :now)')
        // In order: an earlier message with the same key, still pending (retrying, or in flight), goes first.
        .andWhere(
          `(m.orderKey IS NULL OR NOT EXISTS (SELECT 1 FROM "outbox_message" "earlier"
            WHERE "earlier"."orderKey" = "m"."orderKey" AND "earlier"."state" = :pending
            AND "earlier"."id" < "m"."id"))`,
        )
    );
  }

  /** The oldest due message, marked as this worker's for CLAIM_MS; claimed right before it is sent. */
  private async claimNext(): Promise<Claim | null> {
    const { database, clock } = this.deps;
    // A read first: the commits this worker makes wake it too, and an empty claim would commit again.
    if (!(await this.dueQuery(database.manager, clock.now()).getExists())) return null;
    return database.transaction(async (manager) => {
      const now = clock.now();
      const due = this.dueQuery(manager, now).orderBy('m.nextAttemptAt', 'ASC').addOrderBy('m.id', 'ASC');
      // PostgreSQL: another instance's worker passes over the row it is claiming instead of waiting for it.
      if (isPostgres(manager)) due.setLock('pessimistic_write').setOnLocked('skip_locked');
      const message = await due.getOne();
      if (!message) return null;
      const until = new Date(now.getTime() + CLAIM_MS);
      // Conditional all the same: the claim holds on its own, whatever the read saw.
      const claimed = await manager
        .createQueryBuilder()
        .update(OutboxMessage)
        .set({ claimedUntil: until })
        .where('id = :id AND state = :pending', { id: message.id, pending: OutboxState.PENDING })
        .andWhere('("claimedUntil" IS NULL OR "claimedUntil" <= :now)', { now: now.getTime() })
        .execute();
      if (!claimed.affected) return null;
      message.claimedUntil = until;
      return { message, until };
    });
  }

  private async deliver(claim: Claim): Promise<'done' | 'stop-run'> {
    let sent: SentDetails;
    try {
      sent = await this.withinDeadline(() => this.deps.sender.send(claim.message));
    } catch (error) {
      if (error instanceof MessageCancelled) {
        await this.recordCancelled(claim, error);
        return 'done';
      }
      await this.recordFailure(claim, error);
      const endsRun = error instanceof MailServerUnreachable || error instanceof SendDeadlineExceeded;
      return endsRun ? 'stop-run' : 'done';
    }
    await this.recordSent(claim, sent);
    return 'done';
  }

  /** The sender's own timeouts bound each step; this bounds the whole, whatever hangs. */
  private async withinDeadline<T>(work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      // unref: a send abandoned at shutdown must not keep the process alive until its deadline.
      timer = setTimeout(
        () => reject(new SendDeadlineExceeded(`No answer within ${this.sendDeadlineMs / 1000} s`)),
        this.sendDeadlineMs,
      ).unref();
    });
    try {
      return await Promise.race([work(), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async recordSent({ message, until }: Claim, sent: SentDetails): Promise<void> {
    const saved = await this.record(message.id, until, {
      state: OutboxState.SENT,
      attempts: message.attempts + 1,
      sentAt: this.deps.clock.now(),
      lastError: null,
      nextAttemptAt: null,
      claimedUntil: null,
      ...sent,
    });
    if (saved) this.deps.log.info({ outboxId: message.id, template: message.template }, 'message sent');
  }

  private async recordFailure({ message, until }: Claim, error: unknown): Promise<void> {
    const now = this.deps.clock.now();
    const attempts = message.attempts + 1;
    const lastError = safeErrorText(error);
    const next = nextAttemptAfterFailure(attempts, now);
    // A send cut by the deadline may still be under way: nobody tries it again before its claim ends.
    const hung = error instanceof SendDeadlineExceeded;
    const saved = await this.record(message.id, until, {
      attempts,
      lastError,
      responseStatus: error instanceof SendFailed ? error.responseStatus : null,
      nextAttemptAt: next && hung && next < until ? until : next,
      claimedUntil: hung ? until : null,
      // FAILED keeps its sealed link secret, so an admin's retry can still deliver a link that works
      // (the renderer cancels one that expired meanwhile); SENT and CANCELLED drop it.
      ...(next === null ? { state: OutboxState.FAILED } : {}),
    });
    if (!saved) return;
    const details = { outboxId: message.id, attempts, error: lastError };
    if (next) this.deps.log.warn({ ...details, nextAttemptAt: next }, 'message not sent; will retry');
    else this.deps.log.error(details, 'message not sent; gave up (FAILED)');
  }

  /** Nobody to send it to any more: kept with the reason, not counted as a try, never retried. */
  private async recordCancelled({ message, until }: Claim, cancelled: MessageCancelled): Promise<void> {
    const saved = await this.record(message.id, until, {
      state: OutboxState.CANCELLED,
      claimedUntil: null,
      nextAttemptAt: null,
      lastError: safeErrorText(cancelled),
      params: withoutSecret(message.params),
    });
    if (saved) this.deps.log.info({ outboxId: message.id, reason: cancelled.reason }, 'message cancelled');
  }

  /**
   * Writes the outcome only while the claim is still this worker's: a claim that ran out (a send slower
   * than CLAIM_MS) may be another worker's now, and its outcome is the one that counts.
   */
  private async record(id: number, until: Date, changes: Partial<OutboxMessage>): Promise<boolean> {
    if (this.abandoned) return false;
    const result = await this.deps.database.transaction((manager) =>
      manager
        .createQueryBuilder()
        .update(OutboxMessage)
        // params is JSON (simple-json): TypeORM's deep-partial type cannot see that it is written whole.
        .set(changes as QueryDeepPartialEntity<OutboxMessage>)
        .where('id = :id AND state = :pending AND "claimedUntil" = :until', {
          id,
          pending: OutboxState.PENDING,
          until: until.getTime(),
        })
        .execute(),
    );
    if (result.affected) return true;
    this.deps.log.warn({ outboxId: id }, 'the claim ran out before the outcome was written; left as it is');
    return false;
  }
}
