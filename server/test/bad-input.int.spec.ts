import crypto from 'node:crypto';
import { leakedInternals } from './support/assertions';
import {
  CREATE_PROJECT,
  CREATE_TICKET,
  LOGIN,
  REGISTER,
  SET_ROLE,
  TICKET,
  TICKETS,
  UPDATE_ME,
  UPDATE_PROJECT,
  UPDATE_TICKET,
} from './support/operations';
import { TestApi, type RawResponse, type TestUser } from './support/test-server';

let api: TestApi;
let admin: TestUser;
let user: TestUser;
let other: TestUser;
let projectId: string;
let ownTicket: string;
let othersTicket: string;

beforeAll(async () => {
  api = await TestApi.start();
  admin = await api.register('admin');
  user = await api.register('user');
  other = await api.register('other');
  projectId = await api.createProject(admin, 'Website');
  ownTicket = await api.createTicket(user, projectId);
  othersTicket = await api.createTicket(other, projectId);
});
afterAll(() => api.stop());

type Who = 'admin' | 'user' | 'anonymous' | (() => string);
interface Case {
  name: string;
  /** A GraphQL request, or a raw HTTP body with its content type. */
  query?: string;
  variables?: () => Record<string, unknown>;
  raw?: { body: () => string; contentType?: string };
  as?: Who;
  code: string;
  /** invalidFields[0].field, where the error is about one input field. */
  field?: string;
  /** invalidFields[0].rule, where the case is about one rule. */
  rule?: string;
  status?: number;
}

const ticketInput = (extra: Record<string, unknown>) => ({
  projectId,
  title: 'A fine title',
  description: 'A fine description.',
  ...extra,
});
const register = (extra: Record<string, unknown>) => ({
  input: { username: 'newbie', email: 'newbie@example.com', password: 'a fine passphrase', ...extra },
});
const now = () => Math.floor(Date.now() / 1000);
const claims = () => ({ sub: admin.id, jti: crypto.randomBytes(8).toString('hex'), sv: 0, exp: now() + 600 });
const deep = (levels: number) => {
  const chain = ['tickets', 'nodes'];
  while (chain.length < levels) chain.push(chain.length % 2 === 0 ? 'jobs' : 'ticket');
  return `{ ${chain.reduceRight((inner, field) => `${field} { ${inner} }`, 'id')} }`;
};
const cursor = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const cases: Case[] = [
  // Registration and login
  {
    name: 'register without a password',
    query: REGISTER,
    variables: () => ({ input: { username: 'newbie', email: 'newbie@example.com' } }),
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'register with a number as username',
    query: REGISTER,
    variables: () => register({ username: 12345 }),
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'register with null for the non-null email',
    query: REGISTER,
    variables: () => register({ email: null }),
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'register choosing a role',
    query: REGISTER,
    variables: () => register({ role: 'ADMIN' }),
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'register with a 2-letter username',
    query: REGISTER,
    variables: () => register({ username: 'ab' }),
    code: 'BAD_USER_INPUT',
    field: 'username',
  },
  {
    name: 'register with a zero-width space in the username',
    query: REGISTER,
    variables: () => register({ username: 'new\u200Bbie' }),
    code: 'BAD_USER_INPUT',
    field: 'username',
    rule: 'format',
  },
  {
    name: 'register with an invalid email',
    query: REGISTER,
    variables: () => register({ email: 'newbie@@example' }),
    code: 'BAD_USER_INPUT',
    field: 'email',
  },
  {
    name: 'register with a common password',
    query: REGISTER,
    variables: () => register({ password: 'password1' }),
    code: 'BAD_USER_INPUT',
    field: 'password',
  },
  {
    name: 'login with an empty login',
    query: LOGIN,
    variables: () => ({ input: { login: '', password: 'whatever it is' } }),
    code: 'BAD_USER_INPUT',
    field: 'login',
  },
  {
    name: 'login without a password',
    query: LOGIN,
    variables: () => ({ input: { login: 'user2' } }),
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  // Tickets
  {
    name: 'createTicket without a title',
    query: CREATE_TICKET,
    variables: () => ({ input: { projectId, description: 'No title.' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'createTicket with a 2-character title',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: 'ab' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
  },
  {
    name: 'createTicket with a 201-character title',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: 't'.repeat(201) }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
  },
  {
    name: 'createTicket with a blank title',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: '     ' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
  },
  {
    name: 'createTicket with a title of zero-width spaces',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: '\u200B\u200B' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'required',
  },
  {
    name: 'createTicket with a title of invisible characters and spaces',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: '\u200C\u00A0\u200D\u3000\u00AD\u2060' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'required',
  },
  {
    name: 'createTicket with a description of a byte-order mark',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ description: '\uFEFF' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'description',
    rule: 'required',
  },
  {
    name: 'updateTicket with a title of a word joiner and a BOM',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { title: '\u2060\uFEFF' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'required',
  },
  {
    name: 'createTicket with a title of a grapheme joiner, Mongolian selectors and Khmer vowels',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: '\u034F\u180B\u180F\u17B4\u17B5' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'required',
  },
  {
    name: 'createTicket with a description of lone combining marks',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ description: '\u0300\u20DD' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'description',
    rule: 'required',
  },
  {
    name: 'createTicket with a title holding a lone surrogate',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: 'Export \uD83D stops' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'format',
  },
  {
    name: 'updateTicket with a description holding a lone low surrogate',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { description: 'The file is cut \uDC1B.' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'description',
    rule: 'format',
  },
  {
    name: 'updateTicket with a comment holding a lone surrogate',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { comment: 'Still cut \uD83D here.' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'comment',
    rule: 'format',
  },
  {
    name: 'createTicket with a title of 2 letters after 2 zero-width spaces',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: '\u200B\u200Bab' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'length',
  },
  {
    name: 'createTicket with a title of 2 letters joined by zero-width characters',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: 'a\u200D\u2060b' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'length',
  },
  {
    name: 'updateTicket with a title of 2 letters between no-break spaces',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { title: '\u00A0ab\u3000\uFEFF' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'title',
    rule: 'length',
  },
  {
    name: 'createTicket with an empty description',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ description: '' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'description',
  },
  {
    name: 'createTicket with a 20,001-character description',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ description: 'd'.repeat(20_001) }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'description',
  },
  {
    name: 'createTicket on an unknown project',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ projectId: '424242' }) }),
    as: 'user',
    code: 'NOT_FOUND',
  },
  {
    name: 'createTicket with project id "abc"',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ projectId: 'abc' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'projectId',
  },
  {
    name: 'createTicket with project id "-1"',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ projectId: '-1' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'projectId',
  },
  {
    name: 'createTicket with project id "1.5"',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ projectId: '1.5' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'projectId',
  },
  {
    name: 'createTicket with an unknown category',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ category: 'FEATURE' }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'createTicket with a number as title',
    query: CREATE_TICKET,
    variables: () => ({ input: ticketInput({ title: 12345 }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'updateTicket with a 20,001-character comment',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { comment: 'c'.repeat(20_001) } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'comment',
  },
  {
    name: 'updateTicket with only a comment of zero-width spaces',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { comment: '\u200B \u200B' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'input',
    rule: 'noChange',
  },
  {
    name: "updateTicket on another user's ticket",
    query: UPDATE_TICKET,
    variables: () => ({ id: othersTicket, input: { comment: 'Hi' } }),
    as: 'user',
    code: 'NOT_FOUND',
  },
  {
    name: 'updateTicket with id "abc"',
    query: UPDATE_TICKET,
    variables: () => ({ id: 'abc', input: { comment: 'Hi' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'id',
  },
  {
    name: 'updateTicket with id "0"',
    query: UPDATE_TICKET,
    variables: () => ({ id: '0', input: { comment: 'Hi' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'id',
  },
  {
    name: 'updateTicket with an unknown status',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { status: 'DONE' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'updateTicket with nothing to change',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: {} }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'input',
  },
  {
    name: 'updateTicket with null for the non-null input',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: null }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'an internal note from a USER',
    query: UPDATE_TICKET,
    variables: () => ({ id: ownTicket, input: { comment: 'psst', internal: true } }),
    as: 'user',
    code: 'FORBIDDEN',
  },
  {
    name: 'ticket with a 20-digit id',
    query: TICKET,
    variables: () => ({ id: '99999999999999999999' }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'id',
  },
  {
    name: 'ticket with id " 1" (padded)',
    query: TICKET,
    variables: () => ({ id: ` ${ownTicket}` }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'id',
  },
  {
    name: 'ticket with a null id',
    query: TICKET,
    variables: () => ({ id: null }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'ticket with a boolean id',
    query: TICKET,
    variables: () => ({ id: true }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  // Lists
  {
    name: 'tickets with first: 0',
    query: TICKETS,
    variables: () => ({ first: 0 }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'first',
  },
  {
    name: 'tickets with first: 101',
    query: TICKETS,
    variables: () => ({ first: 101 }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'first',
  },
  {
    name: 'tickets with first: "ten"',
    query: TICKETS,
    variables: () => ({ first: 'ten' }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'tickets with first: 2^40',
    query: TICKETS,
    variables: () => ({ first: 2 ** 40 }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'tickets with a 201-character search',
    query: TICKETS,
    variables: () => ({ filter: { search: 's'.repeat(201) } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'search',
  },
  {
    name: 'tickets with createdAfter "yesterday"',
    query: TICKETS,
    variables: () => ({ filter: { createdAfter: 'yesterday' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'tickets with authorId "x"',
    query: TICKETS,
    variables: () => ({ filter: { authorId: 'x' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'authorId',
  },
  {
    name: 'tickets with an unknown status',
    query: TICKETS,
    variables: () => ({ filter: { status: ['DONE'] } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'tickets ordered by an unknown field',
    query: TICKETS,
    variables: () => ({ orderBy: { field: 'TITLE', direction: 'ASC' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'tickets after a tampered cursor',
    query: TICKETS,
    variables: () => ({ after: cursor({ key: 'CREATED_AT:DESC', value: 'x', id: 1 }) }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'after',
  },
  // Users and projects
  {
    name: 'setUserRole with user id "abc"',
    query: SET_ROLE,
    variables: () => ({ id: 'abc', role: 'AGENT' }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'userId',
  },
  {
    name: 'setUserRole with an unknown role',
    query: SET_ROLE,
    variables: () => ({ id: user.id, role: 'OWNER' }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'setUserRole by a USER',
    query: SET_ROLE,
    variables: () => ({ id: user.id, role: 'ADMIN' }),
    as: 'user',
    code: 'FORBIDDEN',
  },
  {
    name: 'createProject with an empty name',
    query: CREATE_PROJECT,
    variables: () => ({ input: { name: '' } }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'name',
  },
  {
    name: 'createProject with a name of a zero-width joiner',
    query: CREATE_PROJECT,
    variables: () => ({ input: { name: '\u200D' } }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'name',
    rule: 'required',
  },
  {
    name: 'createProject with a name of 1 letter among zero-width spaces',
    query: CREATE_PROJECT,
    variables: () => ({ input: { name: '\u200Bx\u200B' } }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'name',
    rule: 'length',
  },
  {
    name: 'updateProject with a name of 1 letter and a variation selector',
    query: UPDATE_PROJECT,
    variables: () => ({ id: projectId, input: { name: 'x\uFE0F' } }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'name',
    rule: 'length',
  },
  {
    name: 'updateProject with a name of supplementary variation selectors',
    query: UPDATE_PROJECT,
    variables: () => ({ id: projectId, input: { name: '\u{E0100}\u{E01EF}' } }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'name',
    rule: 'required',
  },
  {
    name: 'createProject with a name holding a lone surrogate',
    query: CREATE_PROJECT,
    variables: () => ({ input: { name: 'Web\uD800site' } }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'name',
    rule: 'format',
  },
  {
    name: 'createProject with a description holding a lone surrogate',
    query: CREATE_PROJECT,
    variables: () => ({ input: { name: 'Website', description: 'About \uDFFF it' } }),
    as: 'admin',
    code: 'BAD_USER_INPUT',
    field: 'description',
    rule: 'format',
  },
  {
    name: 'createProject by a USER',
    query: CREATE_PROJECT,
    variables: () => ({ input: { name: 'Mine' } }),
    as: 'user',
    code: 'FORBIDDEN',
  },
  {
    name: 'updateMe with an invalid email',
    query: UPDATE_ME,
    variables: () => ({ input: { email: 'no at sign' } }),
    as: 'user',
    code: 'BAD_USER_INPUT',
    field: 'email',
  },
  {
    name: 'updateMe anonymously',
    query: UPDATE_ME,
    variables: () => ({ input: { locale: 'FR' } }),
    as: 'anonymous',
    code: 'UNAUTHENTICATED',
  },
  // Tokens
  {
    name: 'a forged token',
    query: TICKETS,
    as: () => api.signToken(claims(), {}, crypto.randomBytes(32).toString('hex')),
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'an expired token',
    query: TICKETS,
    as: () => api.signToken({ ...claims(), exp: now() - 10 }),
    code: 'UNAUTHENTICATED',
  },
  {
    name: 'an alg:none token',
    query: TICKETS,
    as: () => `${cursor({ alg: 'none', typ: 'JWT' })}.${cursor(claims())}.`,
    code: 'UNAUTHENTICATED',
  },
  { name: 'a garbage token', query: TICKETS, as: () => 'not.a.token', code: 'UNAUTHENTICATED' },
  // Documents
  { name: 'an over-deep query', query: deep(12), as: 'admin', code: 'BAD_USER_INPUT', status: 400 },
  {
    name: 'an over-wide query (16 aliases)',
    query: `{ ${Array.from({ length: 16 }, (_, i) => `a${i}: me { id }`).join(' ')} }`,
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'an unknown field',
    query: '{ ticket(id: "1") { secret } }',
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a syntax error',
    query: '{ tickets { totalCount }',
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a subscription over HTTP with a field the Subscription type lacks',
    query: 'subscription { me { id } }',
    as: 'admin',
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'a real subscription sent over HTTP (it is served on the WebSocket only)',
    query: 'subscription { jobAdded { id } }',
    as: 'admin',
    code: 'BAD_USER_INPUT',
  },
  {
    name: 'two anonymous operations',
    query: '{ me { id } } { me { username } }',
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'an inline list nested 3,000 deep',
    query: `{ tickets(filter: {status: ${'['.repeat(3000)}OPEN${']'.repeat(3000)}}) { totalCount } }`,
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a variable list nested 40,000 deep',
    raw: {
      body: () =>
        `{"query": "query ($s: [TicketStatus!]) { tickets(filter: {status: $s}) { totalCount } }", "variables": {"s": ${'['.repeat(40_000)}"OPEN"${']'.repeat(40_000)}}}`,
    },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a variable of an unknown type',
    query: 'query ($x: Nope) { me { id } }',
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  // Bodies
  {
    name: 'a body over 100 kB',
    raw: { body: () => JSON.stringify({ query: '{ me { id } }', variables: { pad: 'p'.repeat(110_000) } }) },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 413,
  },
  {
    name: 'an invalid JSON body',
    raw: { body: () => '{"query": "{ me { id } }"' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a JSON string as body',
    raw: { body: () => '"{ me { id } }"' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  { name: 'an empty body', raw: { body: () => '' }, as: 'admin', code: 'BAD_USER_INPUT', status: 400 },
  {
    name: 'a body without a query',
    raw: { body: () => '{"variables": {}}' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a query that is not a string',
    raw: { body: () => '{"query": 42}' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'variables as a string',
    raw: { body: () => '{"query": "{ me { id } }", "variables": "{}"}' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'an unknown operationName',
    raw: { body: () => '{"query": "query A { me { id } }", "operationName": "B"}' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a batch (JSON array)',
    raw: { body: () => '[{"query": "{ me { id } }"}]' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a persisted-query hash that does not match',
    raw: {
      body: () =>
        JSON.stringify({
          query: '{ me { id } }',
          extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } },
        }),
    },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a body in an unsupported charset',
    raw: { body: () => '{"query": "{ me { id } }"}', contentType: 'application/json; charset=utf-16' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'an XML body',
    raw: { body: () => '<query>me</query>', contentType: 'application/xml' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
  {
    name: 'a text/plain body (CSRF)',
    raw: { body: () => '{"query": "{ me { id } }"}', contentType: 'text/plain' },
    as: 'admin',
    code: 'BAD_USER_INPUT',
    status: 400,
  },
];

function tokenOf(who: Who | undefined): string | undefined {
  if (typeof who === 'function') return who();
  return who === 'admin' ? admin.token : who === 'user' ? user.token : undefined;
}

async function send(testCase: Case): Promise<RawResponse> {
  const token = tokenOf(testCase.as);
  const body = testCase.raw
    ? testCase.raw.body()
    : JSON.stringify({ query: testCase.query, variables: testCase.variables?.() ?? {} });
  return api.http('/graphql', {
    method: 'POST',
    headers: {
      'content-type': testCase.raw?.contentType ?? 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body,
  });
}

test('the table holds at least 30 distinct bad inputs', () => {
  expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
  expect(cases.length).toBeGreaterThanOrEqual(30);
});

test('control: a title of 3 visible characters among invisible ones is accepted', async () => {
  const created = await api.gql<{ createTicket: { title: string } }>(
    CREATE_TICKET,
    { input: ticketInput({ title: '\u200Bab\u200Dc\u00A0' }) },
    { token: user.token },
  );
  expect(created.errors).toBeUndefined();
});

test.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, testCase) => {
  const before = await api.snapshot();
  const response = await send(testCase);

  expect(response.status).toBeLessThan(500);
  if (testCase.status) expect(response.status).toBe(testCase.status);
  expect(response.json).toBeDefined();
  const errors = response.json.errors as { message: string; extensions: Record<string, any> }[];
  expect(errors?.length).toBeGreaterThan(0);
  expect(errors[0].extensions.code).toBe(testCase.code);
  expect(errors[0].message.length).toBeGreaterThan(5);
  if (testCase.field) {
    expect(errors[0].extensions.invalidFields?.[0]?.field).toBe(testCase.field);
    expect(errors[0].message).toContain(testCase.field);
  }
  if (testCase.rule) expect(errors[0].extensions.invalidFields?.[0]?.rule).toBe(testCase.rule);
  // Nothing answered: no data, or null for the (nullable) field that was refused.
  expect(Object.values(response.json.data ?? {}).filter((value) => value !== null)).toEqual([]);
  expect(leakedInternals(response.text)).toEqual([]);
  expect(await api.snapshot()).toEqual(before);
});
