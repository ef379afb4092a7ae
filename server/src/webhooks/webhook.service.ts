import type { EntityManager } from 'typeorm';
import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { parseId } from '../ids';
import type { Outbox } from '../outbox/outbox';
import { Project } from '../projects/project.entity';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { Role } from '../users/role';
import { User } from '../users/user.entity';
import { CreatedWebhook } from './created-webhook';
import { WebhookDelivery } from './webhook-delivery';
import { enqueueWebhookDelivery } from './webhook-deliveries';
import { ALL_WEBHOOK_EVENTS, type WebhookEvent, webhookEventOf } from './webhook-event';
import { latestWantedEvent } from './webhook-matching';
import { newWebhookSecret } from './webhook-signature';
import { checkWebhookUrl } from './webhook-url';
import type { CreateWebhookInput, UpdateWebhookInput } from './webhook.inputs';
import { Webhook } from './webhook.entity';

/** The admin's webhooks: register, change, pause, delete, send one again (deliveries: recent-deliveries.ts). */
export class WebhookService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
    private readonly outbox: Outbox,
    /** WEBHOOK_ALLOW_HOSTS. */
    private readonly allowHosts: readonly string[],
  ) {}

  list(actor: User): Promise<Webhook[]> {
    this.assertAdmin(actor);
    return this.database.manager.find(Webhook, { order: { id: 'ASC' } });
  }

  /** The secret is returned here only; it is stored sealed, to sign each delivery. */
  create(actor: User, input: CreateWebhookInput): Promise<CreatedWebhook> {
    this.assertAdmin(actor);
    const url = this.checkedUrl(input.url);
    const events = this.checkedEvents(input.events ?? [...ALL_WEBHOOK_EVENTS]);
    const projectId = input.projectId == null ? null : parseId('projectId', input.projectId);
    return this.database.transaction(async (manager) => {
      if (projectId !== null && !(await manager.existsBy(Project, { id: projectId }))) {
        throw new NotFoundError('Project', projectId);
      }
      const secret = newWebhookSecret();
      const webhook = await manager.save(
        manager.create(Webhook, {
          url,
          projectId,
          events,
          includeInternal: input.includeInternal ?? false,
          active: true,
          secret: this.outbox.secrets.seal(secret),
          createdAt: this.clock.now(),
          createdById: actor.id,
        }),
      );
      return Object.assign(new CreatedWebhook(), { secret, webhook });
    });
  }

  /** Only what is given changes; pausing (active: false) cancels the pending deliveries as they come up. */
  update(actor: User, id: number, input: UpdateWebhookInput): Promise<Webhook> {
    this.assertAdmin(actor);
    const url = input.url == null ? undefined : this.checkedUrl(input.url);
    const events = input.events == null ? undefined : this.checkedEvents(input.events);
    return this.database.transaction(async (manager) => {
      const webhook = await this.find(manager, id);
      if (url !== undefined) webhook.url = url;
      if (events !== undefined) webhook.events = events;
      if (input.includeInternal != null) webhook.includeInternal = input.includeInternal;
      if (input.active != null) webhook.active = input.active;
      return manager.save(webhook);
    });
  }

  /** Its pending deliveries end CANCELLED when they come up; past ones stay in the outbox. */
  delete(actor: User, id: number): Promise<boolean> {
    this.assertAdmin(actor);
    return this.database.transaction(async (manager) => {
      await manager.remove(await this.find(manager, id));
      return true;
    });
  }

  /** The webhook's latest matching job, as a new delivery (after the ones still pending). */
  redeliver(actor: User, id: number): Promise<WebhookDelivery> {
    this.assertAdmin(actor);
    return this.database.transaction(async (manager) => {
      const webhook = await this.find(manager, id);
      if (!webhook.active) {
        throw BadInputError.field('id', 'paused', 'This webhook is paused: resume it to redeliver.');
      }
      const latest = await latestWantedEvent(manager, webhook);
      if (!latest) {
        throw BadInputError.field(
          'id',
          'nothingToDeliver',
          'This webhook has no matching job to deliver yet.',
        );
      }
      const job = await manager.findOneByOrFail(Job, { id: latest.jobId });
      const ticket = await manager.findOneByOrFail(Ticket, { id: latest.ticketId });
      const [project, author] = await Promise.all([
        manager.findOneByOrFail(Project, { id: ticket.projectId }),
        manager.findOneByOrFail(User, { id: job.authorId }),
      ]);
      const message = await enqueueWebhookDelivery(
        manager,
        this.outbox,
        webhook,
        webhookEventOf(latest.type),
        {
          job,
          ticket,
          project,
          author,
        },
      );
      return WebhookDelivery.of(message);
    });
  }

  private async find(manager: EntityManager, id: number): Promise<Webhook> {
    const webhook = await manager.findOneBy(Webhook, { id });
    if (!webhook) throw new NotFoundError('Webhook', id);
    return webhook;
  }

  private checkedUrl(raw: string): string {
    const checked = checkWebhookUrl(raw, this.allowHosts);
    if (checked.problem) throw BadInputError.field('url', checked.problem.rule, checked.problem.message);
    return checked.url.href;
  }

  private checkedEvents(events: readonly WebhookEvent[]): WebhookEvent[] {
    if (events.length === 0) {
      throw BadInputError.field(
        'events',
        'required',
        'Choose at least one event, or leave events out for all of them.',
      );
    }
    return ALL_WEBHOOK_EVENTS.filter((event) => events.includes(event));
  }

  private assertAdmin(actor: User): void {
    if (actor.role !== Role.ADMIN) throw new ForbiddenError('Only an admin can manage webhooks.');
  }
}
