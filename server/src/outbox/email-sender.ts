import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Database } from '../database/data-source';
import type { ChannelSender, SentDetails } from './channel-sender';
import { safeSubject } from './email-subject';
import { type LinkSecrets, withoutSecret } from './link-secrets';
import type { Mailer } from './mailer';
import { OutboxMessage } from './outbox-message.entity';
import { MessageCancelled, type RendererRegistry } from './renderers';

const MAX_SUBJECT_LENGTH = 300;

export interface EmailSenderDeps {
  database: Database;
  clock: Clock;
  mailer: Mailer;
  config: Config;
  renderers: RendererRegistry;
  /** Opens the link secrets the outbox sealed. */
  secrets: LinkSecrets;
}

/**
 * The email channel: renders the message at sending time (the recipient's language, the ticket as it
 * is now) and hands it to the mailer. A mail server that cannot be reached throws MailServerUnreachable,
 * which ends the worker's run.
 */
export class EmailSender implements ChannelSender {
  constructor(private readonly deps: EmailSenderDeps) {}

  async send(message: OutboxMessage): Promise<SentDetails> {
    const { database, config, clock, mailer, renderers } = this.deps;
    const render = renderers.get(message.template);
    const rendered = await render(this.withSecretOpened(message), {
      manager: database.manager,
      config,
      publicUrl: config.publicUrl,
      now: clock.now(),
    });
    await mailer.send({
      to: rendered.to ?? message.recipient,
      subject: safeSubject(rendered.subject),
      text: rendered.text,
      html: rendered.html,
      headers: rendered.headers,
    });
    return {
      subject: safeSubject(rendered.subject).slice(0, MAX_SUBJECT_LENGTH),
      // Where it actually went: a notification follows its user's current verified address.
      recipient: rendered.to ?? message.recipient,
      // A link secret (reset, verification) is useless once sent and dangerous if kept.
      params: withoutSecret(message.params),
    };
  }

  /** The message as its renderer reads it: the link secret in clear, only in memory. */
  private withSecretOpened(message: OutboxMessage): OutboxMessage {
    if (!('secret' in message.params)) return message;
    const secret = this.deps.secrets.open(message.params.secret);
    if (secret === null)
      throw new MessageCancelled('its link can no longer be read (the token secret changed)');
    return Object.assign(new OutboxMessage(), message, { params: { ...message.params, secret } });
  }
}
