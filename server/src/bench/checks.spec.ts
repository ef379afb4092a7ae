import { problemOf, sameAnswer } from './checks';

const job = (id: number) => ({ id: String(id), author: { username: 'agent01' }, changes: [] });
const ticket = (id: number, jobs = 2) => ({
  id: String(id),
  title: `Ticket ${id}`,
  project: { id: '1', name: 'Project 01' },
  author: { id: '3', username: 'reporter' },
  assignee: null,
  jobs: Array.from({ length: jobs }, (_, i) => job(id * 100 + i)),
});
const page = (nodes: number, totalCount = 1000) =>
  JSON.stringify({
    data: {
      tickets: {
        totalCount,
        pageInfo: { hasNextPage: true, endCursor: 'abc' },
        nodes: Array.from({ length: nodes }, (_, i) => ticket(i + 1)),
      },
    },
  });

describe('bench answer checks', () => {
  test('a full page passes; a short one, errors or a job without its author do not', () => {
    expect(problemOf({ kind: 'page', nodes: 50 }, page(50))).toBeNull();
    expect(problemOf({ kind: 'page', nodes: 50 }, page(49))).toBe('49 nodes, 50 expected');
    expect(problemOf({ kind: 'page', nodes: 50, totalCount: 200 }, page(50, 1000))).toBe(
      'totalCount 1000, 200 expected',
    );
    expect(problemOf({ kind: 'page', nodes: 1 }, '{"errors":[{"message":"boom"}],"data":null}')).toMatch(
      /^errors: .*boom/,
    );
    const broken = JSON.parse(page(1)) as { data: { tickets: { nodes: { jobs: object[] }[] } } };
    broken.data.tickets.nodes[0].jobs[1] = { id: '9', author: null };
    expect(problemOf({ kind: 'page', nodes: 1 }, JSON.stringify(broken))).toBe(
      'a job of ticket 1 without its author',
    );
    expect(problemOf({ kind: 'page', nodes: 1 }, '<html>busy</html>')).toMatch(/^not JSON/);
  });

  test('a single ticket must have the expected number of jobs', () => {
    const answer = (jobs: number) => JSON.stringify({ data: { ticket: ticket(7, jobs) } });
    expect(problemOf({ kind: 'ticket', jobs: 20 }, answer(20))).toBeNull();
    expect(problemOf({ kind: 'ticket', jobs: 20 }, answer(19))).toBe('ticket 7 has 19 jobs, 20 expected');
    expect(problemOf({ kind: 'ticket', jobs: 20 }, JSON.stringify({ data: { ticket: null } }))).toBe(
      'no ticket',
    );
  });

  test('a search must find something and fill its page', () => {
    const search = (totalCount: number, nodes: number) =>
      JSON.stringify({
        data: {
          tickets: { totalCount, nodes: Array.from({ length: nodes }, (_, i) => ({ id: String(i) })) },
        },
      });
    expect(problemOf({ kind: 'search', first: 20 }, search(600, 20))).toBeNull();
    expect(problemOf({ kind: 'search', first: 20 }, search(3, 3))).toBeNull();
    expect(problemOf({ kind: 'search', first: 20 }, search(0, 0))).toBe('the search found nothing');
    expect(problemOf({ kind: 'search', first: 20 }, search(600, 0))).toBe('0 nodes, 20 expected');
  });

  test('stats must hold every list and add up', () => {
    const stats = {
      total: 10,
      open: 4,
      closed: 6,
      byStatus: [
        { key: 'OPEN', count: 4 },
        { key: 'CLOSED', count: 6 },
      ],
      byProject: [],
      byCategory: [],
      byPriority: [],
      byAuthor: [],
      byAssignee: [],
      perWeek: [],
      perDay: [],
      medianHoursToClose: 12.5,
    };
    const answer = (value: object) => JSON.stringify({ data: { stats: value } });
    expect(problemOf({ kind: 'stats' }, answer(stats))).toBeNull();
    expect(problemOf({ kind: 'stats' }, answer({ ...stats, open: 5 }))).toBe('open + closed is not total');
    expect(problemOf({ kind: 'stats' }, answer({ ...stats, perDay: undefined }))).toBe('no perDay');
    expect(problemOf({ kind: 'stats' }, answer({ ...stats, byStatus: [{ key: 'OPEN', count: 4 }] }))).toBe(
      'byStatus does not add up to total',
    );
  });

  test('me, __typename and createTicket', () => {
    expect(problemOf({ kind: 'me' }, '{"data":{"me":{"id":"1"}}}')).toBeNull();
    expect(problemOf({ kind: 'me' }, '{"data":{"me":null}}')).toBe('no me.id');
    expect(problemOf({ kind: 'typename' }, '{"data":{"__typename":"Query"}}')).toBeNull();
    expect(problemOf({ kind: 'create' }, '{"data":{"createTicket":{"id":"100001"}}}')).toBeNull();
  });

  test('the bare answer must equal the service answer, key order and cursor text aside', () => {
    const service = JSON.parse(page(2)) as { data: { tickets: { pageInfo: { endCursor: string } } } };
    const bare = JSON.parse(page(2)) as typeof service;
    bare.data.tickets.pageInfo.endCursor = 'another opaque cursor';
    expect(sameAnswer(service, bare)).toBe(true);
    const reordered = { data: { tickets: { ...bare.data.tickets, totalCount: 1000 } } };
    expect(sameAnswer(service, reordered)).toBe(true);
    const otherValue = JSON.parse(page(2)) as { data: { tickets: { nodes: { title: string }[] } } };
    otherValue.data.tickets.nodes[1].title = 'Another title';
    expect(sameAnswer(service, otherValue)).toBe(false);
    const noCursor = JSON.parse(page(2)) as { data: { tickets: { pageInfo: { endCursor: string | null } } } };
    noCursor.data.tickets.pageInfo.endCursor = null;
    expect(sameAnswer(service, noCursor)).toBe(false);
  });
});
