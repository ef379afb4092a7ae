import { Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { User } from '../users/user.entity';
import { Attachment } from './attachment.entity';
import { jobAttachments, ticketAttachments } from './attachment.loader';

@Resolver(() => Attachment)
export class AttachmentResolver {
  @FieldResolver(() => User)
  async author(@Root() attachment: Attachment, @Ctx() ctx: Context): Promise<User> {
    // Users are never deleted (deactivated at most): an author is always there.
    return (await ctx.loaders.userById.load(attachment.authorId))!;
  }
}

@Resolver(() => Ticket)
export class TicketAttachmentResolver {
  @FieldResolver(() => [Attachment], {
    description: 'Oldest first; a USER does not see those added with an internal note.',
  })
  attachments(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Attachment[]> {
    return ticketAttachments(ctx, ticket);
  }
}

@Resolver(() => Job)
export class JobAttachmentResolver {
  @FieldResolver(() => [Attachment], { description: 'Files added with this job.' })
  attachments(@Root() job: Job, @Ctx() ctx: Context): Promise<Attachment[]> {
    return jobAttachments(ctx, job);
  }
}
