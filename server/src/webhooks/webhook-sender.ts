import { webhookReceivesJob } from '../access/access-policy';
import type { Database } from '../database/data-source';
import type { ChannelSender, SentDetails } from '../outbox/channel-sender';
import type { LinkSecrets } from '../outbox/link-secrets';
import type { OutboxMessage } from '../outbox/outbox-message.entity';
import { MessageCancelled } from '../outbox/renderers';
import { deliveryParamsOf } from './webhook-deliveries';
import type { WebhookJob } from './webhook-payload';
import { WEBHOOK_USER_AGENT, postWebhook } from './webhook-http';
import { SIGNATURE_HEADER, signWebhookBody } from './webhook-signature';
import { Webhook } from './webhook.entity';

export interface WebhookSenderDeps {
  database: Database;
  /** Opens the webhooks' sealed signing secrets. */
  secrets: LinkSecrets;
  /** WEBHOOK_ALLOW_HOSTS: private hosts and plain http allowed. */
  allowHosts: readonly string[];
  /** Default 10 s (WEBHOOK_TIMEOUT_MS); tests shorten it. */
  timeoutMs?: number;
}

/**
 * The webhook channel: signs the body queued with the delivery and POSTs it to the webhook's current URL.
 * A webhook deleted or paused since, or that no longer takes internal notes or the event, cancels its
 * pending deliveries as they come up.
 */
export class WebhookSender implements ChannelSender {
  constructor(private readonly deps: WebhookSenderDeps) {}

  async send(message: OutboxMessage): Promise<SentDetails> {
    const { webhookId, event, body } = deliveryParamsOf(message);
    const webhook = await this.deps.database.manager.findOneBy(Webhook, { id: webhookId });
    if (!webhook) throw new MessageCancelled('the webhook was deleted');
    if (!webhook.active) throw new MessageCancelled('the webhook is paused');
    // The webhook as it is now decides, not as it was when the job was queued: an admin who turns
    // includeInternal off (or drops an event) must not see notes already queued leave afterwards.
    const { job } = JSON.parse(body) as { job: Pick<WebhookJob, 'internal'> };
    if (!webhookReceivesJob(webhook, job)) {
      throw new MessageCancelled('the webhook no longer receives internal notes');
    }
    if (!webhook.events.includes(event)) {
      throw new MessageCancelled(`the webhook no longer receives ${event}`);
    }
    const secret = this.deps.secrets.open(webhook.secret);
    if (secret === null) {
      // Sealed with a key derived from JWT_SECRET: a new token secret leaves every webhook unable to sign.
      throw new MessageCancelled(
        'its signing secret can no longer be read, since JWT_SECRET changed: delete the webhook and add it again to get a new secret',
      );
    }
    const responseStatus = await postWebhook(
      webhook.url,
      body,
      {
        'Content-Type': 'application/json',
        'User-Agent': WEBHOOK_USER_AGENT,
        [SIGNATURE_HEADER]: signWebhookBody(body, secret),
        'X-Delivery-Id': String(message.id),
        'X-Event': event,
      },
      { allowHosts: this.deps.allowHosts, timeoutMs: this.deps.timeoutMs },
    );
    return { recipient: webhook.url, responseStatus };
  }
}
