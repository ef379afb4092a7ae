import type { EntityManager } from 'typeorm';
import type { Clock } from '../clock';
import { LinkSecrets } from './link-secrets';
import { OutboxMessage, OutboxState } from './outbox-message.entity';
import { holdAppendOrder } from '../database/data-source';

export interface NewOutboxMessage {
  /** Which delivery worker sends it (app.ts runs one per channel). */
  channel: 'email' | 'webhook';
  recipient: string;
  recipientUserId: number | null;
  /** The renderer that turns params into the message at sending time. */
  template: string;
  /** A link's secret goes under `secret`: stored sealed (see LinkSecrets), deleted once done with. */
  params: Record<string, unknown>;
  /** For the admin's list; the renderer may refine it. */
  subject: string | null;
  /** Not due while an earlier message with the same key is still PENDING: they arrive in order. */
  orderKey?: string | null;
}

/**
 * Writes messages to the durable outbox, always inside the caller's transaction: a message exists if
 * and only if what caused it was saved. Delivery is the worker's business.
 */
export class Outbox {
  constructor(
    private readonly clock: Clock,
    /** services.ts gives the key derived from the token secret, so sealed links survive a restart. */
    readonly secrets: LinkSecrets = LinkSecrets.ephemeral(),
  ) {}

  /** Due at once. */
  enqueue(manager: EntityManager, message: NewOutboxMessage): Promise<OutboxMessage> {
    return this.insert(manager, message, this.clock.now(), null);
  }

  /**
   * Several events in a row make one message: if a message with this key is still waiting (not yet
   * tried) and its window was open when this event happened (`at`), merge params into it; otherwise
   * write a new one, due when the window that opens at `at` closes. Windows follow the events' own
   * times, not the consumer's: after a pause, jobs far apart still make separate messages.
   */
  async enqueueCoalesced(
    manager: EntityManager,
    message: NewOutboxMessage,
    coalesce: { key: string; windowMs: number; at: Date },
    merge: (waiting: Record<string, unknown>, next: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<OutboxMessage> {
    const { key: coalesceKey, windowMs, at } = coalesce;
    const waiting = await manager.findOne(OutboxMessage, {
      where: { coalesceKey, state: OutboxState.PENDING, attempts: 0 },
      order: { id: 'DESC' },
    });
    // Only while its window is open: a job after it (the worker late, the mail server down) starts a new one.
    if (waiting && waiting.claimedUntil === null && waiting.nextAttemptAt && waiting.nextAttemptAt > at) {
      waiting.params = merge(waiting.params, this.sealed(message.params));
      waiting.subject = message.subject ?? waiting.subject;
      return manager.save(waiting);
    }
    return this.insert(manager, message, new Date(at.getTime() + windowMs), coalesceKey);
  }

  private sealed(params: Record<string, unknown>): Record<string, unknown> {
    return typeof params.secret === 'string'
      ? { ...params, secret: this.secrets.seal(params.secret) }
      : params;
  }

  private async insert(
    manager: EntityManager,
    message: NewOutboxMessage,
    due: Date,
    coalesceKey: string | null,
  ): Promise<OutboxMessage> {
    // Messages with an order key go out in id order: their ids must become visible in that order too.
    if (message.orderKey) await holdAppendOrder(manager);
    return manager.save(
      manager.create(OutboxMessage, {
        ...message,
        params: this.sealed(message.params),
        coalesceKey,
        orderKey: message.orderKey ?? null,
        state: OutboxState.PENDING,
        attempts: 0,
        lastError: null,
        responseStatus: null,
        createdAt: this.clock.now(),
        nextAttemptAt: due,
        claimedUntil: null,
        sentAt: null,
      }),
    );
  }
}
