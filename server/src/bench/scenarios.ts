import type { Expectation } from './checks';
import type { Goal } from './figures';

/** The requests the bench sends, the answers it expects, and issue 11's goal for each. */

const NODE_FIELDS = `id title status priority category createdAt updatedAt
      project { id name }
      author { id username }
      assignee { id username }
      jobs { id createdAt comment internal status author { username } changes { field from to } }`;

export const ME_QUERY = '{ me { id } }';
export const TYPENAME_QUERY = '{ __typename }';

export const PAGE_QUERY = `query Page($first: Int!) {
  tickets(first: $first) {
    totalCount
    pageInfo { hasNextPage endCursor }
    nodes { ${NODE_FIELDS} }
  }
}`;

export const TICKET_QUERY = `query Ticket($id: ID!) {
  ticket(id: $id) { ${NODE_FIELDS} }
}`;

export const SEARCH_QUERY = `query Search($search: String!) {
  tickets(first: 20, filter: { search: $search }) {
    totalCount
    nodes { id title status priority createdAt updatedAt project { id name } assignee { id username } }
  }
}`;

const COUNTS = '{ key count }';
export const STATS_QUERY = `query Stats($projectId: ID) {
  stats(projectId: $projectId) {
    total open closed
    byStatus ${COUNTS} byProject ${COUNTS} byCategory ${COUNTS} byPriority ${COUNTS}
    byAuthor ${COUNTS} byAssignee ${COUNTS}
    perWeek { weekStart opened closed }
    perDay { day opened closed }
    medianHoursToClose medianHoursToFirstResponse openByAge ${COUNTS}
  }
}`;

export const CREATE_QUERY = `mutation Create($input: CreateTicketInput!) { createTicket(input: $input) { id } }`;

export const COUNT_QUERY = '{ tickets(first: 1) { totalCount } }';

/** createTicket's throughput before issue 11 (the table), which the goal multiplies by 1.5. */
export const CREATE_BEFORE_RPS = 367;

export type Group =
  'me' | 'page' | 'ticket' | 'search' | 'stats' | 'user-page' | 'create' | 'overload' | 'sql';
export const GROUPS: readonly Group[] = [
  'sql',
  'me',
  'page',
  'ticket',
  'search',
  'stats',
  'user-page',
  'create',
  'overload',
];

export interface Request {
  /** Path on the server: /graphql on the service, /bare/… or /graphql on the baselines. */
  path: string;
  body: string;
  /** One Bearer token, or one per connection (the writers). */
  token?: string;
  tokens?: string[];
}

export interface Scenario {
  name: string;
  group: Group;
  description: string;
  request: Request;
  connections: number;
  expectation: Expectation;
  /** The same answer from the bare baseline process, measured in turn with the service. */
  baseline?: { name: string; request: Request; expectation: Expectation; sameAnswer: boolean };
  goals: Goal[];
}

export const graphqlBody = (query: string, variables?: object) =>
  JSON.stringify(variables ? { query, variables } : { query });

export interface ScenarioInputs {
  tickets: number;
  adminToken: string;
  reporterToken: string;
  writerTokens: string[];
  fullHistoryTicketId: number;
  projectId: string;
  words: { common: string; middle: string; rare: string };
  /** The reporter's tickets in the data set. */
  reporterTickets: number;
}

/**
 * Throughput scenarios use 10 connections; the latency goals (search, stats, a USER's first page) are
 * measured with one connection, requests one after another, so that p50/p95 are the time of a request
 * rather than of a queue.
 */
export function scenariosOf(inputs: ScenarioInputs): Scenario[] {
  const admin = inputs.adminToken;
  const scenarios: Scenario[] = [
    {
      name: 'me',
      group: 'me',
      description: '{ me { id } } as ADMIN, 10 connections',
      request: { path: '/graphql', body: graphqlBody(ME_QUERY), token: admin },
      connections: 10,
      expectation: { kind: 'me' },
      baseline: {
        name: 'bare Apollo { __typename }',
        request: { path: '/graphql', body: graphqlBody(TYPENAME_QUERY) },
        expectation: { kind: 'typename' },
        sameAnswer: false,
      },
      goals: [{ figure: 'ratio', kind: 'at least', bound: 0.7 }],
    },
    {
      name: 'page',
      group: 'page',
      description: 'tickets(first: 50) with jobs as ADMIN, 10 connections',
      request: { path: '/graphql', body: graphqlBody(PAGE_QUERY, { first: 50 }), token: admin },
      connections: 10,
      expectation: { kind: 'page', nodes: Math.min(50, inputs.tickets) },
      baseline: {
        name: 'bare node:http page',
        request: { path: '/bare/page', body: graphqlBody(PAGE_QUERY, { first: 50 }) },
        expectation: { kind: 'page', nodes: Math.min(50, inputs.tickets) },
        sameAnswer: true,
      },
      goals: [{ figure: 'ratio', kind: 'at least', bound: 0.5 }],
    },
    {
      name: 'ticket',
      group: 'ticket',
      description: `ticket(id: ${inputs.fullHistoryTicketId}) with 20 jobs as ADMIN, 10 connections`,
      request: {
        path: '/graphql',
        body: graphqlBody(TICKET_QUERY, { id: String(inputs.fullHistoryTicketId) }),
        token: admin,
      },
      connections: 10,
      expectation: { kind: 'ticket', jobs: 20 },
      baseline: {
        name: 'bare node:http ticket',
        request: {
          path: `/bare/ticket?id=${inputs.fullHistoryTicketId}`,
          body: graphqlBody(TICKET_QUERY, { id: String(inputs.fullHistoryTicketId) }),
        },
        expectation: { kind: 'ticket', jobs: 20 },
        sameAnswer: true,
      },
      goals: [{ figure: 'ratio', kind: 'at least', bound: 0.5 }],
    },
  ];
  for (const [viewer, token] of [
    ['ADMIN', admin],
    ['USER', inputs.reporterToken],
  ] as const) {
    for (const which of ['common', 'middle', 'rare'] as const) {
      const word = inputs.words[which];
      scenarios.push({
        name: `search ${which} "${word}" ${viewer}`,
        group: 'search',
        description: `tickets(first: 20, filter: {search: "${word}"}) as ${viewer === 'USER' ? 'the USER reporter' : 'ADMIN'}, 1 connection`,
        request: { path: '/graphql', body: graphqlBody(SEARCH_QUERY, { search: word }), token },
        connections: 1,
        expectation: { kind: 'search', first: 20 },
        goals: [{ figure: 'p95', kind: 'under', bound: 50 }],
      });
    }
  }
  scenarios.push(
    {
      name: 'stats overall',
      group: 'stats',
      description: 'full stats as ADMIN, 1 connection',
      request: { path: '/graphql', body: graphqlBody(STATS_QUERY, {}), token: admin },
      connections: 1,
      expectation: { kind: 'stats' },
      goals: [{ figure: 'p95', kind: 'under', bound: 200 }],
    },
    {
      name: 'stats project',
      group: 'stats',
      description: `full stats(projectId: ${inputs.projectId}) (the largest project) as ADMIN, 1 connection`,
      request: {
        path: '/graphql',
        body: graphqlBody(STATS_QUERY, { projectId: inputs.projectId }),
        token: admin,
      },
      connections: 1,
      expectation: { kind: 'stats' },
      goals: [{ figure: 'p95', kind: 'under', bound: 200 }],
    },
    {
      name: 'USER first page',
      group: 'user-page',
      description: `tickets(first: 50) with jobs as the USER reporter (${inputs.reporterTickets} tickets), 1 connection`,
      request: {
        path: '/graphql',
        body: graphqlBody(PAGE_QUERY, { first: 50 }),
        token: inputs.reporterToken,
      },
      connections: 1,
      expectation: {
        kind: 'page',
        nodes: Math.min(50, inputs.reporterTickets),
        totalCount: inputs.reporterTickets,
      },
      goals: [{ figure: 'p50', kind: 'under', bound: 15 }],
    },
    {
      name: 'createTicket',
      group: 'create',
      description: `createTicket, 10 connections, each its own USER account`,
      request: {
        path: '/graphql',
        body: graphqlBody(CREATE_QUERY, {
          input: {
            projectId: inputs.projectId,
            title: 'Written by the bench',
            description: "One of the bench's createTicket requests, ten writers at a time.",
          },
        }),
        tokens: inputs.writerTokens,
      },
      connections: 10,
      expectation: { kind: 'create' },
      goals: [
        { figure: 'rps', kind: 'at least', bound: 1.5 * CREATE_BEFORE_RPS },
        { figure: 'p99', kind: 'under', bound: 100 },
      ],
    },
  );
  return scenarios;
}
