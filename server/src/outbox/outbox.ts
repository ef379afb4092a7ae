import type { EntityManager } from 'typeorm';
import type { Clock } from '../clock';
import { OutboxMessage, OutboxState } from './outbox-message.entity';

export interface NewOutboxMessage {
  channel: 'email';
  recipient: string;
  recipientUserId: number | null;
  /** The renderer that turns params into the message at sending time. */
  template: string;
  params: Record<string, unknown>;
  /** For the admin's list; the renderer may refine it. */
  subject: string | null;
}

/**
 * Writes messages to the durable outbox, always inside the caller's transaction: a message exists if
 * and only if what caused it was saved. Delivery is the worker's business.
 */
export class Outbox {
  constructor(private readonly clock: Clock) {}

  /** Due at once (or at notBefore). */
  async enqueue(manager: EntityManager, message: NewOutboxMessage, notBefore?: Date): Promise<OutboxMessage> {
    const now = this.clock.now();
    return manager.save(
      manager.create(OutboxMessage, {
        ...message,
        coalesceKey: null,
        state: OutboxState.PENDING,
        attempts: 0,
        lastError: null,
        createdAt: now,
        nextAttemptAt: notBefore ?? now,
        claimedUntil: null,
        sentAt: null,
      }),
    );
  }

  /**
   * Several events in a row make one message: if a message with this key is still waiting (not yet
   * tried), merge params into it; otherwise write a new one, due when the window closes.
   */
  async enqueueCoalesced(
    manager: EntityManager,
    message: NewOutboxMessage,
    coalesceKey: string,
    windowMs: number,
    merge: (waiting: Record<string, unknown>, next: Record<string, unknown>) => Record<string, unknown>,
  ): Promise<OutboxMessage> {
    const waiting = await manager.findOne(OutboxMessage, {
      where: { coalesceKey, state: OutboxState.PENDING, attempts: 0 },
      order: { id: 'DESC' },
    });
    if (waiting && waiting.claimedUntil === null) {
      waiting.params = merge(waiting.params, message.params);
      waiting.subject = message.subject ?? waiting.subject;
      return manager.save(waiting);
    }
    const created = await this.enqueue(manager, message, new Date(this.clock.now().getTime() + windowMs));
    created.coalesceKey = coalesceKey;
    return manager.save(created);
  }
}
