import { type EntityManager, In, type SelectQueryBuilder } from 'typeorm';
import { BackgroundLoop } from '../background/loop';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Database } from '../database/data-source';
import { type LinkSecrets, withoutSecret } from './link-secrets';
import type { Mailer } from './mailer';
import { OutboxMessage, OutboxState } from './outbox-message.entity';
import { MessageCancelled, type RenderedMessage, type RendererRegistry } from './renderers';
import { nextAttemptAfterFailure } from './retry-schedule';

/** While a worker sends a message, others leave it alone; a crashed worker's claim runs out after this. */
export const CLAIM_MS = 2 * 60_000;
const BATCH_SIZE = 10;
const MAX_ERROR_LENGTH = 300;
const MAX_SUBJECT_LENGTH = 300;

export interface WorkerLog {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
  error(details: Record<string, unknown>, message: string): void;
}

export interface DeliveryWorkerDeps {
  database: Database;
  clock: Clock;
  mailer: Mailer;
  config: Config;
  log: WorkerLog;
  renderers: RendererRegistry;
  /** Opens the link secrets the outbox sealed. */
  secrets: LinkSecrets;
}

/**
 * Delivers the outbox: claims a few due messages in one transaction, renders each at sending time,
 * sends it, then records SENT or the failure (retried on the schedule of retry-schedule.ts, FAILED after
 * the last try). Runs beside the requests, never inside them: woken by commits and every few seconds.
 */
export class DeliveryWorker {
  private readonly loop: BackgroundLoop;
  private readonly wake = () => this.loop.nudge();

  constructor(
    private readonly deps: DeliveryWorkerDeps,
    options: { intervalMs?: number; debounceMs?: number } = {},
  ) {
    this.loop = new BackgroundLoop(async () => (await this.deliverDue()) === BATCH_SIZE, {
      intervalMs: options.intervalMs ?? 5000,
      debounceMs: options.debounceMs ?? 20,
      onError: (error) => deps.log.error({ err: error }, 'outbox delivery failed to run'),
    });
  }

  start(): void {
    this.deps.database.on('committed', this.wake);
    this.loop.start();
  }

  /** Finishes the send in flight, hands back the rest of its batch, and starts nothing more. */
  async stop(): Promise<void> {
    this.deps.database.off('committed', this.wake);
    await this.loop.stop();
  }

  /** One batch now, in the loop's turn (tests): how many messages were tried. */
  runOnce(): Promise<number> {
    return this.loop.exclusive(() => this.deliverDue());
  }

  private async deliverDue(): Promise<number> {
    const now = this.deps.clock.now();
    // A read first: the commits this worker makes wake it too, and an empty claim would commit again.
    if (!(await this.dueQuery(this.deps.database.manager, now).getExists())) return 0;
    const claimed = await this.claim(now);
    let tried = 0;
    for (const message of claimed) {
      if (this.loop.stopping) break;
      await this.deliver(message);
      tried += 1;
    }
    if (tried < claimed.length) await this.release(claimed.slice(tried));
    return tried;
  }

  private dueQuery(manager: EntityManager, now: Date): SelectQueryBuilder<OutboxMessage> {
    return manager
      .createQueryBuilder(OutboxMessage, 'm')
      .where('m.state = :pending', { pending: OutboxState.PENDING })
      .andWhere('m.nextAttemptAt <= :now', { now: now.getTime() })
      .andWhere('(m.claimedUntil IS NULL OR m.claimedUntil <= :now)');
  }

  /** Due messages, oldest due first, marked as this worker's for CLAIM_MS, in one transaction. */
  private claim(now: Date): Promise<OutboxMessage[]> {
    return this.deps.database.transaction(async (manager) => {
      const due = await this.dueQuery(manager, now)
        .orderBy('m.nextAttemptAt', 'ASC')
        .addOrderBy('m.id', 'ASC')
        .limit(BATCH_SIZE)
        .getMany();
      if (due.length > 0) {
        const claimedUntil = new Date(now.getTime() + CLAIM_MS);
        await manager.update(OutboxMessage, { id: In(due.map((m) => m.id)) }, { claimedUntil });
      }
      return due;
    });
  }

  private release(messages: OutboxMessage[]): Promise<unknown> {
    return this.deps.database.transaction((manager) =>
      manager.update(
        OutboxMessage,
        { id: In(messages.map((m) => m.id)), state: OutboxState.PENDING },
        { claimedUntil: null },
      ),
    );
  }

  private async deliver(message: OutboxMessage): Promise<void> {
    const { database, config, clock, mailer } = this.deps;
    let rendered: RenderedMessage;
    try {
      const render = this.deps.renderers.get(message.template);
      rendered = await render(this.withSecretOpened(message), {
        manager: database.manager,
        config,
        publicUrl: config.publicUrl,
        now: clock.now(),
      });
      await mailer.send({
        to: rendered.to ?? message.recipient,
        subject: rendered.subject,
        text: rendered.text,
        html: rendered.html,
        headers: rendered.headers,
      });
    } catch (error) {
      if (error instanceof MessageCancelled) await this.recordCancelled(message.id, error);
      else await this.recordFailure(message.id, error);
      return;
    }
    await this.recordSent(message.id, rendered);
  }

  /** The message as its renderer reads it: the link secret in clear, only in memory. */
  private withSecretOpened(message: OutboxMessage): OutboxMessage {
    if (!('secret' in message.params)) return message;
    const secret = this.deps.secrets.open(message.params.secret);
    if (secret === null)
      throw new MessageCancelled('its link can no longer be read (the token secret changed)');
    return Object.assign(new OutboxMessage(), message, { params: { ...message.params, secret } });
  }

  private recordSent(id: number, rendered: RenderedMessage): Promise<void> {
    return this.update(id, (message, now) => {
      message.state = OutboxState.SENT;
      message.attempts += 1;
      message.sentAt = now;
      message.lastError = null;
      message.nextAttemptAt = null;
      message.claimedUntil = null;
      message.subject = rendered.subject.slice(0, MAX_SUBJECT_LENGTH);
      // Where it actually went: a notification follows its user's current verified address.
      if (rendered.to) message.recipient = rendered.to;
      // A link secret (reset, verification) is useless once sent and dangerous if kept.
      message.params = withoutSecret(message.params);
      this.deps.log.info({ outboxId: id, template: message.template }, 'message sent');
    });
  }

  private recordFailure(id: number, error: unknown): Promise<void> {
    return this.update(id, (message, now) => {
      message.attempts += 1;
      message.claimedUntil = null;
      message.lastError = errorText(error);
      const next = nextAttemptAfterFailure(message.attempts, now);
      message.nextAttemptAt = next;
      if (next === null) {
        message.state = OutboxState.FAILED;
        message.params = withoutSecret(message.params);
      }
      const details = { outboxId: id, attempts: message.attempts, error: message.lastError };
      if (next) this.deps.log.warn({ ...details, nextAttemptAt: next }, 'message not sent; will retry');
      else this.deps.log.error(details, 'message not sent; gave up (FAILED)');
    });
  }

  /** Nobody to send it to any more: kept with the reason, not counted as a try, never retried. */
  private recordCancelled(id: number, cancelled: MessageCancelled): Promise<void> {
    return this.update(id, (message) => {
      message.state = OutboxState.CANCELLED;
      message.claimedUntil = null;
      message.nextAttemptAt = null;
      message.lastError = errorText(cancelled);
      message.params = withoutSecret(message.params);
      this.deps.log.info({ outboxId: id, reason: cancelled.reason }, 'message cancelled');
    });
  }

  private async update(id: number, change: (message: OutboxMessage, now: Date) => void): Promise<void> {
    await this.deps.database.transaction(async (manager) => {
      const message = await manager.findOneBy(OutboxMessage, { id });
      if (!message || message.state !== OutboxState.PENDING) return;
      change(message, this.deps.clock.now());
      await manager.save(message);
    });
  }
}

/** Short, one line, and without credentials of any URL (the SMTP mailer removes its own). */
function errorText(error: unknown): string {
  const raw = error instanceof Error ? error.message : String(error);
  const text = raw
    .replace(/\s+/g, ' ')
    .replace(/(\w+:\/\/)[^\s/@]+@/g, '$1')
    .trim();
  return text.length > MAX_ERROR_LENGTH ? `${text.slice(0, MAX_ERROR_LENGTH - 1)}…` : text || 'Unknown error';
}
