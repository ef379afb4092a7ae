import {
  Arg,
  Args,
  ArgsType,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Mutation,
  Query,
  Resolver,
  Root,
} from 'type-graphql';
import { ValidateNested } from 'class-validator';
import { visibleJobs } from '../access/access-policy';
import type { Context } from '../context';
import { BadInputError } from '../errors';
import { parseId } from '../ids';
import { Project } from '../projects/project.entity';
import { User } from '../users/user.entity';
import { Job } from './job.entity';
import { lastReporterActivityAt } from './reporter-activity.loader';
import { TicketConnection } from './ticket-connection';
import { Ticket } from './ticket.entity';
import {
  BulkTicketUpdateInput,
  CreateTicketInput,
  MAX_BULK_TICKETS,
  TicketsArgs,
  UpdateTicketInput,
} from './ticket.inputs';

/**
 * Ticket.jobs is the one list that is not paginated, and Job.ticket leads back to it: nested a few times
 * under a page (`history { nodes { ticket { jobs { ticket { jobs … } } } } }`) the same few histories
 * multiply into millions of jobs for one cost point, which no document limit sees (it cannot know how
 * long a history is). So the jobs one request lists are counted as they are listed, and the request is
 * refused whole past this: far above a page of 100 tickets with their histories, or the feed's 500.
 * The refusal is an answer of its own (jobListLimitPlugin), never a partial or truncated one.
 */
export const MAX_JOBS_PER_REQUEST = 10_000;

export function tooManyJobs(): BadInputError {
  return BadInputError.field(
    'jobs',
    'range',
    `This request lists more than ${MAX_JOBS_PER_REQUEST.toLocaleString('en')} jobs (Ticket.jobs): ask for fewer tickets at a time, without jobs inside Job.ticket, or follow history().`,
  );
}

/** Relations of a row that exists by foreign key: a missing one would be a broken database. */
async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const loaded = await value;
  if (!loaded) throw new Error(`${what} is missing`);
  return loaded;
}

// An ArgsType keeps the contract's argument order in the schema (TypeGraphQL lists separate @Arg in reverse).
@ArgsType()
class UpdateTicketArgs {
  @Field(() => ID)
  id: string;

  @Field(() => UpdateTicketInput)
  @ValidateNested()
  input: UpdateTicketInput;
}

@ArgsType()
class UpdateTicketsArgs {
  @Field(() => [ID], { description: `1 to ${MAX_BULK_TICKETS} ticket numbers; a repeated one counts once.` })
  ids: string[];

  @Field(() => BulkTicketUpdateInput)
  input: BulkTicketUpdateInput;
}

@Resolver(() => Ticket)
export class TicketResolver {
  @Authorized()
  @Query(() => Ticket, {
    nullable: true,
    description: 'A ticket by number: NOT_FOUND when it does not exist or the caller may not see it.',
  })
  ticket(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<Ticket> {
    return ctx.services.tickets.get(ctx.user!, parseId('id', id));
  }

  @Authorized()
  @Query(() => TicketConnection)
  tickets(@Args(() => TicketsArgs) args: TicketsArgs, @Ctx() ctx: Context): Promise<TicketConnection> {
    return ctx.services.tickets.list(ctx.user!, args);
  }

  @Authorized()
  @Mutation(() => Ticket, { description: 'Any signed-in user, on any project that is not archived.' })
  createTicket(
    @Arg('input', () => CreateTicketInput) input: CreateTicketInput,
    @Ctx() ctx: Context,
  ): Promise<Ticket> {
    return ctx.services.tickets.create(ctx.user!, input);
  }

  @Authorized()
  @Mutation(() => Ticket)
  updateTicket(
    @Args(() => UpdateTicketArgs) { id, input }: UpdateTicketArgs,
    @Ctx() ctx: Context,
  ): Promise<Ticket> {
    return ctx.services.tickets.update(ctx.user!, parseId('id', id), input);
  }

  @Authorized()
  @Mutation(() => [Ticket], {
    description:
      'AGENT and ADMIN: the same change for several tickets, all or nothing in one transaction. One job per ticket that changes (none for a ticket already so); a ticket that does not exist answers NOT_FOUND for the whole call. Returns the tickets in the order of ids.',
  })
  updateTickets(
    @Args(() => UpdateTicketsArgs) { ids, input }: UpdateTicketsArgs,
    @Ctx() ctx: Context,
  ): Promise<Ticket[]> {
    return ctx.services.tickets.updateMany(
      ctx.user!,
      ids.map((id) => parseId('ids', id)),
      input,
    );
  }

  @FieldResolver(() => Project)
  project(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Project> {
    return required(ctx.loaders.projectById.load(ticket.projectId), 'project');
  }

  @FieldResolver(() => User)
  author(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<User> {
    return required(ctx.loaders.userById.load(ticket.authorId), 'author');
  }

  @FieldResolver(() => User, { nullable: true })
  assignee(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<User | null> | null {
    return ticket.assigneeId === null ? null : ctx.loaders.userById.load(ticket.assigneeId);
  }

  @FieldResolver(() => Date, {
    nullable: true,
    description:
      'Staff only (null for a USER): when the reporter last wrote on it, for queues of tickets that need an answer.',
  })
  lastReporterActivityAt(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Date | null> | null {
    return lastReporterActivityAt(ctx, ticket.id);
  }

  @FieldResolver(() => [Job], {
    description:
      'The full history the caller may see, oldest first (a USER does not see internal notes). The first job is the opening of the ticket.',
  })
  async jobs(@Root() ticket: Ticket, @Ctx() ctx: Context): Promise<Job[]> {
    const jobs = visibleJobs(ctx.user!, await ctx.loaders.jobsByTicketId.load(ticket.id));
    ctx.jobsListed += jobs.length;
    // Past the limit the whole request is refused (jobListLimitPlugin): listing nothing more ends the
    // nested work here, where an error per ticket would cost as much as the jobs it spares.
    return ctx.jobsListed > MAX_JOBS_PER_REQUEST ? [] : jobs;
  }
}

@Resolver(() => Job)
export class JobResolver {
  @FieldResolver(() => Ticket)
  ticket(@Root() job: Job, @Ctx() ctx: Context): Promise<Ticket> {
    return required(ctx.loaders.ticketById.load(job.ticketId), 'ticket');
  }

  @FieldResolver(() => User)
  author(@Root() job: Job, @Ctx() ctx: Context): User | Promise<User> {
    return (
      ctx.loaders.userById.known(job.authorId) ?? required(ctx.loaders.userById.load(job.authorId), 'author')
    );
  }
}
