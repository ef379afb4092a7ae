import { canSeeProject } from '../access/access-policy';
import type { Context } from '../context';
import { BadInputError, NotFoundError } from '../errors';
import { createLoaders } from '../loaders';
import { Project } from '../projects/project.entity';
import type { Job } from '../tickets/job.entity';
import type { User } from '../users/user.entity';
import { EventQueue } from './event-queue';
import { SUBSCRIPTIONS_OVER_WEBSOCKET } from './http-subscriptions';
import { LIVE_CLOSE, LIVE_LIMITS, type LiveConnection, TOO_SLOW, stillSignedIn } from './live-connections';
import type { LiveEvent, LiveSubscriber } from './live-feed';

/** The context of an operation over the live socket: a query's, plus the socket it came on. */
export interface LiveContext extends Context {
  live: LiveConnection;
}

function connectionOf(context: Context): LiveConnection {
  const live = (context as Partial<LiveContext>).live;
  if (!live) {
    // Over HTTP (subscriptionsOverHttpPlugin refuses them before this).
    throw BadInputError.field('query', 'notAllowed', SUBSCRIPTIONS_OVER_WEBSOCKET);
  }
  return live;
}

interface Delivery {
  job: Job;
  viewer: User;
  batch: number;
}

/**
 * The jobs of one subscription, as an async iterator for graphql-js. Each batch of events runs with the
 * subscriber's user as the feed read it and fresh loaders, so the Job's fields (author, ticket, html,
 * attachments…) resolve as in a query made now, by the same resolvers.
 */
async function jobsFor(
  context: Context,
  matches: (event: LiveEvent) => boolean,
): Promise<AsyncIterator<Job>> {
  const connection = connectionOf(context);
  const principal = connection.principal;
  let unsubscribe: () => void = () => undefined;
  const queue = new EventQueue<Delivery>(
    LIVE_LIMITS.queueCapacity,
    () => unsubscribe(),
    () => connection.end(LIVE_CLOSE.tooSlow, TOO_SLOW),
  );
  const subscriber: LiveSubscriber = {
    userId: principal.user.id,
    matches,
    stillSignedIn: (user) => stillSignedIn(principal, user),
    connection,
    deliver: (job, viewer, batch) => queue.push({ job, viewer, batch }),
  };
  unsubscribe = await context.services.live.subscribe(subscriber);
  if (queue.done) unsubscribe();
  let currentBatch = -1;
  return {
    next: async () => {
      const result = await queue.next();
      if (result.done) return { value: undefined, done: true };
      const { job, viewer, batch } = result.value;
      // Each event is an answer of its own, held to the same number of listed jobs as a request.
      context.jobsListed = 0;
      if (batch !== currentBatch) {
        currentBatch = batch;
        context.user = viewer;
        context.loaders = createLoaders(context.services.database, () => context.user);
        context.loaders.userById.prime(viewer.id, viewer);
      }
      return { value: job, done: false };
    },
    return: async () => {
      queue.end();
      return { value: undefined, done: true };
    },
  };
}

function asIterable<T>(iterator: Promise<AsyncIterator<T>>): Promise<AsyncIterable<T>> {
  return iterator.then((it) => ({ [Symbol.asyncIterator]: () => it }));
}

/** ticketUpdated(id): NOT_FOUND, as ticket(id) answers, when the caller may not see the ticket. */
export async function ticketUpdated(context: Context, ticketId: number): Promise<AsyncIterable<Job>> {
  connectionOf(context);
  await context.services.tickets.get(context.user!, ticketId);
  return asIterable(jobsFor(context, (event) => event.ticket.id === ticketId));
}

/** jobAdded(projectId): every ticket the caller may see, or those of one project they may see. */
export async function jobAdded(context: Context, projectId: number | null): Promise<AsyncIterable<Job>> {
  connectionOf(context);
  if (projectId === null) return asIterable(jobsFor(context, () => true));
  const project = await context.services.database.manager.findOneBy(Project, { id: projectId });
  if (!project || !canSeeProject(context.user, project)) throw new NotFoundError('Project', projectId);
  return asIterable(jobsFor(context, (event) => event.ticket.projectId === projectId));
}
