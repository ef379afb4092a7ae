import type { Clock } from '../clock';
import type { Database } from '../database/data-source';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { type Cursor, decodeCursor, encodeCursor } from '../tickets/cursor';
import { Role } from '../users/role';
import type { User } from '../users/user.entity';
import { OutboxMessageConnection } from './outbox-connection';
import type { OutboxArgs } from './outbox.inputs';
import { OutboxMessage, OutboxState } from './outbox-message.entity';

const CURSOR_KEY = 'OUTBOX:ID:DESC';

/**
 * What the admin sees of the outbox, and the one thing they may do to it: try a FAILED message again
 * (an email; a webhook's deliveries keep their order, so they are redelivered instead).
 */
export class OutboxService {
  constructor(
    private readonly database: Database,
    private readonly clock: Clock,
  ) {}

  /** Newest first, by id (the order of creation); keyset pages stay right while messages are added. */
  async list(actor: User, args: OutboxArgs): Promise<OutboxMessageConnection> {
    this.assertAdmin(actor);
    const base = this.database.manager.createQueryBuilder(OutboxMessage, 'm');
    if (args.state) base.where('m.state = :state', { state: args.state });
    const page = base.clone();
    if (args.after) {
      const cursor = decodeCursor(args.after, CURSOR_KEY) as Extract<Cursor, { id: number }>;
      page.andWhere('m.id < :cursorId', { cursorId: cursor.id });
    }
    const rows = await page
      .orderBy('m.id', 'DESC')
      .limit(args.first + 1)
      .getMany();
    const edges = rows.slice(0, args.first).map((message) => ({
      node: message,
      cursor: encodeCursor({ key: CURSOR_KEY, value: null, id: message.id }),
    }));
    return new OutboxMessageConnection(
      edges,
      { hasNextPage: rows.length > args.first, endCursor: edges.at(-1)?.cursor ?? null },
      () => base.clone().getCount(),
    );
  }

  /** Back in the queue, due now, with a fresh series of tries; its last error stays until the next try. */
  retry(actor: User, id: number): Promise<OutboxMessage> {
    this.assertAdmin(actor);
    return this.database.transaction(async (manager) => {
      const message = await manager.findOneBy(OutboxMessage, { id });
      if (!message) throw new NotFoundError('Outbox message', id);
      if (message.state !== OutboxState.FAILED) {
        throw BadInputError.field(
          'id',
          'invalid',
          `Only a FAILED message can be retried; this one is ${message.state}.`,
        );
      }
      // Back in the queue under its old id, it would jump ahead of newer deliveries and then hold them all.
      if (message.orderKey !== null) {
        throw BadInputError.field(
          'id',
          'useRedeliver',
          'A webhook delivery cannot be retried here, out of job order: use redeliverWebhook to send the webhook its latest job again.',
        );
      }
      message.state = OutboxState.PENDING;
      message.attempts = 0;
      message.nextAttemptAt = this.clock.now();
      message.claimedUntil = null;
      return manager.save(message);
    });
  }

  private assertAdmin(actor: User): void {
    if (actor.role !== Role.ADMIN) throw new ForbiddenError('Only an admin can see the outbox.');
  }
}
