import { isDeepStrictEqual } from 'node:util';

/**
 * What an answer of a scenario must hold, so that a broken endpoint cannot look fast: plain data, sent
 * to the load process, which checks a sample of the real responses with {@link problemOf}.
 */
export type Expectation =
  | { kind: 'me' }
  | { kind: 'typename' }
  /** A page of tickets with their jobs: exactly `nodes` of them; `totalCount` when known. */
  | { kind: 'page'; nodes: number; totalCount?: number }
  | { kind: 'ticket'; jobs: number }
  /** A search page: at least one ticket found, and a full page when there are enough. */
  | { kind: 'search'; first: number }
  | { kind: 'stats'; total?: number }
  | { kind: 'create' };

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

/** What is wrong with a 200 answer's body, or null when it holds what the scenario expects. */
export function problemOf(expectation: Expectation, body: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `not JSON: ${body.slice(0, 120)}`;
  }
  if (!isObject(parsed)) return 'not a JSON object';
  if (parsed.errors !== undefined) return `errors: ${JSON.stringify(parsed.errors).slice(0, 300)}`;
  const data = parsed.data;
  if (!isObject(data)) return 'no data';
  switch (expectation.kind) {
    case 'me':
      return isObject(data.me) && typeof data.me.id === 'string' ? null : 'no me.id';
    case 'typename':
      return data.__typename === 'Query' ? null : 'no __typename';
    case 'page':
      return pageProblem(data.tickets, expectation.nodes, expectation.totalCount);
    case 'ticket':
      return ticketProblem(data.ticket, expectation.jobs);
    case 'search': {
      const connection = data.tickets;
      if (!isObject(connection) || typeof connection.totalCount !== 'number') return 'no totalCount';
      if (connection.totalCount < 1) return 'the search found nothing';
      const expected = Math.min(expectation.first, connection.totalCount);
      const nodes = connection.nodes;
      return Array.isArray(nodes) && nodes.length === expected
        ? null
        : `${Array.isArray(nodes) ? nodes.length : 'no'} nodes, ${expected} expected`;
    }
    case 'stats':
      return statsProblem(data.stats, expectation.total);
    case 'create':
      return isObject(data.createTicket) && typeof data.createTicket.id === 'string'
        ? null
        : 'no createTicket.id';
  }
}

function pageProblem(connection: unknown, nodes: number, totalCount?: number): string | null {
  if (!isObject(connection)) return 'no tickets';
  if (typeof connection.totalCount !== 'number') return 'no totalCount';
  if (totalCount !== undefined && connection.totalCount !== totalCount) {
    return `totalCount ${connection.totalCount}, ${totalCount} expected`;
  }
  if (!isObject(connection.pageInfo)) return 'no pageInfo';
  const list = connection.nodes;
  if (!Array.isArray(list) || list.length !== nodes) {
    return `${Array.isArray(list) ? list.length : 'no'} nodes, ${nodes} expected`;
  }
  for (const node of list) {
    const problem = ticketProblem(node);
    if (problem) return problem;
  }
  return null;
}

function ticketProblem(ticket: unknown, jobs?: number): string | null {
  if (!isObject(ticket)) return 'no ticket';
  if (typeof ticket.id !== 'string' || typeof ticket.title !== 'string')
    return 'a ticket without id or title';
  if (!isObject(ticket.project) || !isObject(ticket.author))
    return `ticket ${ticket.id} without project or author`;
  const list = ticket.jobs;
  if (!Array.isArray(list) || list.length === 0) return `ticket ${ticket.id} without jobs`;
  if (jobs !== undefined && list.length !== jobs)
    return `ticket ${ticket.id} has ${list.length} jobs, ${jobs} expected`;
  for (const job of list) {
    if (!isObject(job) || !isObject(job.author) || typeof job.author.username !== 'string') {
      return `a job of ticket ${ticket.id} without its author`;
    }
  }
  return null;
}

const STATS_LISTS = [
  'byStatus',
  'byProject',
  'byCategory',
  'byPriority',
  'byAuthor',
  'byAssignee',
  'perWeek',
  'perDay',
];

function statsProblem(stats: unknown, total?: number): string | null {
  if (!isObject(stats)) return 'no stats';
  if (typeof stats.total !== 'number' || typeof stats.open !== 'number' || typeof stats.closed !== 'number') {
    return 'no total, open or closed';
  }
  if (total !== undefined && stats.total !== total) return `total ${stats.total}, ${total} expected`;
  if (stats.total < 1) return 'stats count no ticket';
  if (stats.open + stats.closed !== stats.total) return 'open + closed is not total';
  for (const name of STATS_LISTS) {
    if (!Array.isArray(stats[name])) return `no ${name}`;
  }
  const byStatus = stats.byStatus as { count: number }[];
  if (byStatus.reduce((sum, entry) => sum + entry.count, 0) !== stats.total)
    return 'byStatus does not add up to total';
  if (!('medianHoursToClose' in stats)) return 'no medianHoursToClose';
  return null;
}

/**
 * Whether the bare baseline answered what the service answers: deep equality of `data`, except the
 * page's endCursor, which is opaque to clients (both give one; only its presence is compared).
 */
export function sameAnswer(service: unknown, bare: unknown): boolean {
  return isDeepStrictEqual(withoutCursor(service), withoutCursor(bare));
}

function withoutCursor(answer: unknown): unknown {
  if (!isObject(answer) || !isObject(answer.data)) return answer;
  const tickets = answer.data.tickets;
  if (!isObject(tickets) || !isObject(tickets.pageInfo)) return { data: answer.data };
  return {
    data: {
      ...answer.data,
      tickets: {
        ...tickets,
        pageInfo: { ...tickets.pageInfo, endCursor: typeof tickets.pageInfo.endCursor === 'string' },
      },
    },
  };
}
