import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { NotFoundError } from '../errors';
import { parseId } from '../ids';
import { Project } from '../projects/project.entity';
import { Job } from '../tickets/job.entity';
import { Role } from '../users/role';
import { CreatedWebhook } from './created-webhook';
import { WebhookDelivery } from './webhook-delivery';
import { CreateWebhookInput, UpdateWebhookArgs } from './webhook.inputs';
import { Webhook } from './webhook.entity';

@Resolver(() => Webhook)
export class WebhookResolver {
  @Authorized(Role.ADMIN)
  @Query(() => [Webhook], { description: 'ADMIN only.' })
  webhooks(@Ctx() ctx: Context): Promise<Webhook[]> {
    return ctx.services.webhooks.list(ctx.user!);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreatedWebhook, { description: 'ADMIN only.' })
  createWebhook(
    @Arg('input', () => CreateWebhookInput) input: CreateWebhookInput,
    @Ctx() ctx: Context,
  ): Promise<CreatedWebhook> {
    return ctx.services.webhooks.create(ctx.user!, input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Webhook, { description: 'ADMIN only.' })
  updateWebhook(
    @Args(() => UpdateWebhookArgs) { id, input }: UpdateWebhookArgs,
    @Ctx() ctx: Context,
  ): Promise<Webhook> {
    return ctx.services.webhooks.update(ctx.user!, parseId('id', id), input);
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => Boolean, { description: 'ADMIN only.' })
  deleteWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<boolean> {
    return ctx.services.webhooks.delete(ctx.user!, parseId('id', id));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => WebhookDelivery, {
    description: "ADMIN only: sends the webhook's latest matching job again, as a new delivery.",
  })
  redeliverWebhook(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<WebhookDelivery> {
    return ctx.services.webhooks.redeliver(ctx.user!, parseId('id', id));
  }

  @FieldResolver(() => Project, { nullable: true, description: 'Null: every project.' })
  project(@Root() webhook: Webhook, @Ctx() ctx: Context): Promise<Project | null> | null {
    return webhook.projectId === null ? null : ctx.loaders.projectById.load(webhook.projectId);
  }

  @FieldResolver(() => [WebhookDelivery], { description: 'The last deliveries, newest first (at most 20).' })
  recentDeliveries(@Root() webhook: Webhook, @Ctx() ctx: Context): Promise<WebhookDelivery[]> {
    return ctx.loaders.recentDeliveriesByWebhookId.load(webhook.id);
  }
}

@Resolver(() => WebhookDelivery)
export class WebhookDeliveryResolver {
  @FieldResolver(() => Job)
  async job(@Root() delivery: WebhookDelivery, @Ctx() ctx: Context): Promise<Job> {
    const job = await ctx.loaders.jobById.load(delivery.jobId);
    // Jobs are never deleted, but a delivery only names its job: a missing one is said, not a 500.
    if (!job) throw new NotFoundError('Job', delivery.jobId);
    return job;
  }
}
