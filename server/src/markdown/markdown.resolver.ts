import { Arg, Authorized, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { Job } from '../tickets/job.entity';
import { Ticket } from '../tickets/ticket.entity';
import { markdownReaderOf } from './markdown-reader';

@Resolver(() => Ticket)
export class TicketMarkdownResolver {
  @FieldResolver(() => String)
  descriptionHtml(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<string> {
    return markdownReaderOf(ctx).render(ticket.description);
  }
}

@Resolver(() => Job)
export class JobMarkdownResolver {
  @FieldResolver(() => String, { nullable: true, description: 'Null when the job has no comment.' })
  commentHtml(@Root() job: Job, @Ctx() ctx: Context): Promise<string> | null {
    return job.comment === null ? null : markdownReaderOf(ctx).render(job.comment);
  }
}

@Resolver()
export class MarkdownResolver {
  @Authorized()
  @Query(() => String, {
    description: 'The markdown rendered as the service would store it: the preview of a form.',
  })
  renderMarkdown(@Arg('text', () => String) text: string, @Ctx() ctx: Context): Promise<string> {
    return markdownReaderOf(ctx).preview(text);
  }
}
