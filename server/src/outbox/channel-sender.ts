import type { OutboxMessage } from './outbox-message.entity';

/** What the worker records of a message once it went out, besides SENT (where it went, what it said). */
export type SentDetails = Partial<Pick<OutboxMessage, 'recipient' | 'subject' | 'params' | 'responseStatus'>>;

/**
 * Sends the messages of one channel (email: render + mailer; webhook: sign + POST). send() resolves
 * once the receiving end accepted the message; it rejects with MessageCancelled (renderers.ts) when the
 * message must not go out any more, and with any other error for a failed try, retried on the schedule.
 */
export interface ChannelSender {
  send(message: OutboxMessage): Promise<SentDetails>;
}

/** A failed try that says how the receiving end answered: kept as the message's responseStatus. */
export class SendFailed extends Error {
  constructor(
    message: string,
    readonly responseStatus: number | null,
  ) {
    super(message);
  }
}
