import type { EntityManager } from 'typeorm';
import type { Config } from '../config';
import type { OutboxMessage } from './outbox-message.entity';

/** What a renderer may use at sending time. */
export interface RenderContext {
  /** For reads only (the recipient's language, the ticket as it is now): rendering never writes. */
  manager: EntityManager;
  config: Config;
  /** PUBLIC_URL without its trailing slash: links are `${publicUrl}/tickets/42`. */
  publicUrl: string;
  /** The worker's clock, for "2 minutes ago" and expiry texts. */
  now: Date;
}

/** One email, ready to send (the mailer adds From). */
export interface RenderedMessage {
  /**
   * Where it goes, when the renderer knows better than the queued recipient (the user's current verified
   * address); otherwise the message's recipient.
   */
  to?: string;
  subject: string;
  text: string;
  html: string;
  /** e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). */
  headers?: Record<string, string>;
}

/** Turns an outbox message (its template and params) into the email sent, at sending time. */
export type MessageRenderer = (message: OutboxMessage, context: RenderContext) => Promise<RenderedMessage>;

/**
 * Thrown by a renderer when the message must not go out any more (the recipient turned notifications
 * off, the account is gone): the message ends CANCELLED with "Not sent: <reason>", kept and visible,
 * not counted as a try and never retried.
 */
export class MessageCancelled extends Error {
  constructor(readonly reason: string) {
    super(`Not sent: ${reason}`);
  }
}

/**
 * Templates and their renderers, built once in services.ts (`renderers.register('verify-email', …)`)
 * and handed to the delivery worker. Enqueue with the same name (`outbox.enqueue(manager, { template:
 * 'verify-email', … })`). Put a link's secret under `params.secret`: the outbox stores it encrypted,
 * the worker hands it to the renderer in clear and deletes it once the message is done with. A message
 * whose template has no renderer fails its try with "No renderer for template …" and is retried.
 */
export class RendererRegistry {
  private readonly renderers = new Map<string, MessageRenderer>();

  register(template: string, renderer: MessageRenderer): void {
    if (this.renderers.has(template)) {
      throw new Error(`A renderer for template "${template}" is already registered`);
    }
    this.renderers.set(template, renderer);
  }

  /** The renderer, or an error that says which template lacks one (it becomes the message's lastError). */
  get(template: string): MessageRenderer {
    const renderer = this.renderers.get(template);
    if (!renderer) throw new Error(`No renderer for template "${template}"`);
    return renderer;
  }
}
