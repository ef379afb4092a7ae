import type DataLoader from 'dataloader';
import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { canSeeTicket, whereTicketVisible } from '../access/access-policy';
import type { Database } from '../database/data-source';
import { rawQuery } from '../database/sql';
import { BadInputError, ForbiddenError, NotFoundError } from '../errors';
import { parseId, parseOptionalId } from '../ids';
import { type TicketRow, inList, readRows, ticketColumns, ticketFromRow } from '../loaders';
import { isStaff } from '../users/role';
import type { User } from '../users/user.entity';
import type { FieldChange } from './job.entity';
import { foldForSearch, searchIndexOf, wordsOf } from './ticket-search';
import { Ticket } from './ticket.entity';
import { TicketStatus, firstDoneStatusRank } from './ticket.enums';
import type { UpdateTicketInput } from './ticket.inputs';

/** similarTickets' text: a title being typed, with room to spare. */
export const SIMILAR_TEXT_MAX_LENGTH = 500;
/** similarTickets' `first`. */
export const SIMILAR_TICKETS_MAX = 10;
/** Ticket.possibleDuplicates. */
export const POSSIBLE_DUPLICATES_MAX = 5;
/** The words a similarity query is made of: each one more list of matches to rank. */
export const SIMILARITY_WORDS_MAX = 12;
/** Shorter words ("is", "a", "ok") are in most tickets and say nothing of which one is meant. */
const MIN_WORD_LENGTH = 3;
/** How far a chain of duplicates is followed; a longer one is refused, so a cycle can never hide past it. */
const CHAIN_MAX = 1000;

/** Common English words of 3 letters or more (folded, as the index holds them): they match everything. */
const STOP_WORDS = new Set(
  `about above after again against all also and any are because been before being below between both
  but can cannot could did does doing down during each few for from further had has have having her
  here hers herself him himself his how however into its itself just more most myself nor not now off
  once only other our ours ourselves out over own same she should some such than that the their theirs
  them themselves then there these they this those through too under until very was were what when
  where which while who whom why will with would you your yours yourself yourselves get got still yet
  please thanks thank hello dear since like one two way way use used using need needs want wants`.split(
    /\s+/,
  ),
);

/**
 * The meaningful words of texts (a title, then a description), folded as the index holds them: no
 * short or common word, each once, at most SIMILARITY_WORDS_MAX. Earlier texts come first; when a
 * text has more words than there is room for, its longest are kept (longer words are rarer).
 */
export function similarityWords(...texts: string[]): string[] {
  const picked: string[] = [];
  const seen = new Set<string>();
  for (const text of texts) {
    const room = SIMILARITY_WORDS_MAX - picked.length;
    if (room <= 0) break;
    const meaningful = wordsOf(foldForSearch(text)).filter((word) => {
      if ([...word].length < MIN_WORD_LENGTH || STOP_WORDS.has(word) || seen.has(word)) return false;
      seen.add(word);
      return true;
    });
    if (meaningful.length <= room) {
      picked.push(...meaningful);
    } else {
      const longest = new Set([...meaningful].sort((a, b) => b.length - a.length).slice(0, room));
      picked.push(...meaningful.filter((word) => longest.has(word)));
    }
  }
  return picked;
}

/**
 * The duplicate rule of an update, after the other fields are applied: duplicateOfId (staff only)
 * closes the ticket as a duplicate of another it may see; a ticket that leaves CLOSED is no longer a
 * duplicate (as on GitHub). Returns the job's changes; the ticket is changed in place.
 */
export async function applyDuplicateOf(
  manager: EntityManager,
  actor: User,
  ticket: Ticket,
  input: Pick<UpdateTicketInput, 'duplicateOfId' | 'status'>,
  now: Date,
): Promise<FieldChange[]> {
  const current = ticket.duplicateOfId ?? null;
  if (input.duplicateOfId == null) {
    if (current === null || ticket.status === TicketStatus.CLOSED) return [];
    ticket.duplicateOfId = null;
    return [{ field: 'duplicateOf', from: String(current), to: null }];
  }

  if (!isStaff(actor.role)) {
    throw new ForbiddenError('A reporter cannot close a ticket as a duplicate; an agent can.');
  }
  const targetId = parseId('duplicateOfId', input.duplicateOfId);
  if (targetId === ticket.id) {
    throw BadInputError.field('duplicateOfId', 'invalid', 'duplicateOfId: a ticket cannot duplicate itself.');
  }
  if (input.status != null && input.status !== TicketStatus.CLOSED) {
    throw BadInputError.field(
      'status',
      'invalid',
      'status: a ticket closed as a duplicate is CLOSED; leave status out or set CLOSED.',
    );
  }
  const target = await manager.findOneBy(Ticket, { id: targetId });
  // An unseen ticket is answered like a missing one, in the same words.
  if (!target || !canSeeTicket(actor, target)) throw new NotFoundError('Ticket', targetId);
  const chain = await duplicateChainFrom(manager, targetId, ticket.id);
  if (chain === 'cycle') {
    throw BadInputError.field(
      'duplicateOfId',
      'invalid',
      `duplicateOfId: ticket ${targetId} is itself a duplicate of this one.`,
    );
  }
  if (chain === 'tooLong') {
    throw BadInputError.field(
      'duplicateOfId',
      'invalid',
      `duplicateOfId: ticket ${targetId} starts a chain of more than ${CHAIN_MAX} duplicates; name the ticket at its end.`,
    );
  }

  const changes: FieldChange[] = [];
  if (current !== targetId) {
    changes.push({
      field: 'duplicateOf',
      from: current === null ? null : String(current),
      to: String(targetId),
    });
    ticket.duplicateOfId = targetId;
  }
  if (ticket.status !== TicketStatus.CLOSED) {
    changes.push({ field: 'status', from: ticket.status, to: TicketStatus.CLOSED });
    ticket.status = TicketStatus.CLOSED;
    ticket.closedAt = now;
  }
  return changes;
}

/**
 * Where following duplicateOf from ticket `from` goes: to ticket `to` ('cycle'), past CHAIN_MAX links
 * ('tooLong': refused too, since a cycle beyond it could not be seen), or neither (null). One statement.
 */
async function duplicateChainFrom(
  manager: EntityManager,
  from: number,
  to: number,
): Promise<'cycle' | 'tooLong' | null> {
  const rows = await rawQuery<{ found: number | string }[]>(
    manager,
    `WITH RECURSIVE "chain" ("id", "depth") AS (
       SELECT "duplicateOfId", 1 FROM "ticket" WHERE "id" = ?
       UNION ALL
       SELECT "t"."duplicateOfId", "chain"."depth" + 1 FROM "ticket" "t"
       JOIN "chain" ON "t"."id" = "chain"."id" WHERE "chain"."depth" < ?
     )
     SELECT CASE WHEN "id" = ? THEN 1 ELSE 2 END AS "found" FROM "chain"
     WHERE "id" = ? OR ("depth" >= ? AND "id" IS NOT NULL)
     ORDER BY "found" LIMIT 1`,
    [from, CHAIN_MAX, to, to, CHAIN_MAX],
  );
  if (rows.length === 0) return null;
  return Number(rows[0].found) === 1 ? 'cycle' : 'tooLong';
}

export interface SimilarTicketsRequest {
  text: string;
  projectId?: string | null;
  first: number;
}

/** The relations the duplicate fields read, batched per request. */
export interface DuplicateLoaders {
  duplicateOfIdByTicketId: DataLoader<number, number | null>;
  ticketById: DataLoader<number, Ticket | null>;
}

/** Tickets that look alike (full-text search of any meaningful word) and the duplicate a ticket names. */
export class DuplicateService {
  constructor(private readonly database: Database) {}

  /** Staff only (null for a USER): open tickets like this one, best first, not itself nor its duplicates. */
  async possibleDuplicates(viewer: User, ticket: Ticket): Promise<Ticket[] | null> {
    if (!isStaff(viewer.role)) return null;
    const candidates = whereTicketVisible(this.database.manager.createQueryBuilder(Ticket, 't'), viewer)
      .andWhere('t.id <> :self', { self: ticket.id })
      .andWhere('t.status < :done', { done: firstDoneStatusRank })
      .andWhere('(t.duplicateOfId IS NULL OR t.duplicateOfId <> :self)');
    return this.alike(
      viewer,
      similarityWords(ticket.title, ticket.description),
      candidates,
      POSSIBLE_DUPLICATES_MAX,
    );
  }

  /** While a reporter types a title: the tickets the viewer may see that look alike, best first. */
  async similarTickets(viewer: User, request: SimilarTicketsRequest): Promise<Ticket[]> {
    if (!Number.isInteger(request.first) || request.first < 1 || request.first > SIMILAR_TICKETS_MAX) {
      throw BadInputError.field('first', 'range', `first must be 1 to ${SIMILAR_TICKETS_MAX}.`);
    }
    if (request.text.length > SIMILAR_TEXT_MAX_LENGTH) {
      throw BadInputError.field(
        'text',
        'length',
        `text must be at most ${SIMILAR_TEXT_MAX_LENGTH} characters long.`,
      );
    }
    // An unknown or unseen project finds nothing, as tickets(filter: { projectId }) does.
    const projectId = parseOptionalId('projectId', request.projectId);
    const candidates = whereTicketVisible(this.database.manager.createQueryBuilder(Ticket, 't'), viewer);
    if (projectId !== undefined) candidates.andWhere('t.projectId = :projectId', { projectId });
    return this.alike(viewer, similarityWords(request.text.trim()), candidates, request.first);
  }

  /** The ticket this one duplicates, when the viewer may see it; null otherwise (never a leak). */
  async duplicateOf(viewer: User, ticket: Ticket, loaders: DuplicateLoaders): Promise<Ticket | null> {
    // Tickets read by the loaders' rows do not carry the column; those read by TypeORM do.
    const targetId =
      ticket.duplicateOfId !== undefined
        ? ticket.duplicateOfId
        : await loaders.duplicateOfIdByTicketId.load(ticket.id);
    if (targetId == null) return null;
    const target = await loaders.ticketById.load(targetId);
    return target && canSeeTicket(viewer, target) ? target : null;
  }

  /** At most `limit` candidates holding any of the words, best first: one search, then one read of rows. */
  private async alike(
    viewer: User,
    words: string[],
    candidates: SelectQueryBuilder<Ticket>,
    limit: number,
  ): Promise<Ticket[]> {
    const manager = this.database.manager;
    const search = searchIndexOf(manager).similar(manager, words);
    if (!search) return [];
    const staff = isStaff(viewer.role);
    const filtered = candidates.expressionMap.wheres.length > 0;
    // Staff: each match is looked up by id; a USER's few tickets are read once and each match checked.
    const ids = await search.ids(
      filtered ? { query: candidates, fewMatches: staff, fewTickets: !staff } : null,
      { by: 'relevance', offset: 0 },
      limit,
    );
    if (ids.length === 0) return [];
    const list = inList(ids);
    const rows = await readRows<TicketRow>(
      manager,
      `SELECT ${ticketColumns} FROM "ticket" WHERE "id" ${list.sql}`,
      list.parameters,
    );
    const byId = new Map(rows.map((row) => [row.id, ticketFromRow(row)]));
    return ids.flatMap((id) => byId.get(id) ?? []);
  }
}

const services = new WeakMap<Database, DuplicateService>();

/** The duplicate service of a database: stateless, so one per database, made on first use. */
export function duplicateServiceOf(database: Database): DuplicateService {
  let service = services.get(database);
  if (!service) services.set(database, (service = new DuplicateService(database)));
  return service;
}
