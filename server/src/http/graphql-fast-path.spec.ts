import http from 'node:http';
import type { Socket } from 'node:net';
import express, { type Request } from 'express';
import { parse, type OperationDefinitionNode } from 'graphql';
import {
  KnownOperations,
  answerTypeFor,
  bodyErrorAnswer,
  isPlainJson,
  withClientFacts,
} from './graphql-fast-path';

const known = (query: string) => {
  const document = parse(query);
  return { document, operation: document.definitions[0] as OperationDefinitionNode, queryHash: query };
};

describe('isPlainJson: the bodies the fast path reads itself', () => {
  test.each([
    ['application/json', true],
    ['Application/JSON', true],
    ['application/json; charset=utf-8', true],
    ['application/json;charset=UTF-8', true],
    ['application/json; charset="utf-8"', true],
    ['application/json; charset=utf-16', false],
    ['application/json; boundary=x', false],
    ['application/graphql-response+json', false],
    ['text/plain', false],
    ['multipart/form-data; boundary=x', false],
    [undefined, false],
  ])('%s → %s', (contentType, expected) => {
    expect(isPlainJson(contentType)).toBe(expected);
  });
});

describe("answerTypeFor: Apollo's choice of answer type", () => {
  test('no Accept, or anything, answers application/json', () => {
    expect(answerTypeFor(undefined)).toBe('application/json; charset=utf-8');
    expect(answerTypeFor('*/*')).toBe('application/json; charset=utf-8');
  });

  test('the GraphQL answer type when the client prefers it, as urql and graphql-http do', () => {
    expect(answerTypeFor('application/graphql-response+json, application/json')).toBe(
      'application/graphql-response+json; charset=utf-8',
    );
    expect(answerTypeFor('application/json;q=0.9, application/graphql-response+json')).toBe(
      'application/graphql-response+json; charset=utf-8',
    );
  });

  test('null when no JSON type is acceptable (the request goes to Apollo, which answers 406)', () => {
    expect(answerTypeFor('text/html')).toBeNull();
    expect(answerTypeFor('application/json;q=0')).toBeNull();
  });
});

describe('KnownOperations', () => {
  test('finds a document by its exact text and operation name', () => {
    const operations = new KnownOperations(10);
    const me = known('query Me { me { id } }');
    operations.remember('query Me { me { id } }', undefined, me);
    expect(operations.find('query Me { me { id } }', undefined)).toMatchObject(me);
    expect(operations.find('query Me { me { id } }', 'Me')).toBeUndefined();
    expect(operations.find('query Me { me { id }}', undefined)).toBeUndefined();
  });

  test('forgets the least recently used beyond its capacity', () => {
    const operations = new KnownOperations(2);
    for (const text of ['{ a }', '{ b }']) operations.remember(text, undefined, known(text));
    operations.find('{ a }', undefined);
    operations.remember('{ c }', undefined, known('{ c }'));
    expect(operations.size).toBe(2);
    expect(operations.find('{ b }', undefined)).toBeUndefined();
    expect(operations.find('{ a }', undefined)).toBeDefined();
    expect(operations.find('{ c }', undefined)).toBeDefined();
  });
});

test("bodyErrorAnswer: express.json's refusals in the API's error shape", () => {
  expect(bodyErrorAnswer('entity.too.large')).toEqual({
    status: 413,
    body: '{"errors":[{"message":"The request body is larger than 100 kB.","extensions":{"code":"BAD_USER_INPUT"}}]}',
  });
  expect(bodyErrorAnswer('entity.parse.failed').status).toBe(400);
});

test('KnownOperations weighs a document by its parsed size, not its text', () => {
  const operations = new KnownOperations(500, 1024 * 1024);
  // Dense: 2,000 characters of text, far more once parsed.
  const dense = (index: number) => `query Q${index} { ${'me '.repeat(660)}}`;
  for (let index = 0; index < 100; index += 1)
    operations.remember(dense(index), undefined, known(dense(index)));
  expect(dense(0).length).toBeLessThan(2100);
  // 100 of them are 200 kB of text, under the budget by text; by parsed size only a few fit.
  expect(operations.size).toBeGreaterThan(0);
  expect(operations.size).toBeLessThan(20);
  expect(operations.find(dense(99), undefined)).toBeDefined();
  expect(operations.find(dense(0), undefined)).toBeUndefined();
});

describe("withClientFacts: a query's ip and secure, as Express's request answers them", () => {
  const trusts = [false, true, 1, 2, 'loopback', '10.0.0.0/8', '10.0.0.1, 127.0.0.1'];
  const sockets = [
    { remoteAddress: '127.0.0.1' },
    { remoteAddress: '10.0.0.1', encrypted: true },
    { remoteAddress: '::ffff:10.0.0.1' },
    { remoteAddress: '203.0.113.9' },
  ];
  const headerSets: Record<string, string>[] = [
    {},
    { 'x-forwarded-for': '198.51.100.7' },
    { 'x-forwarded-for': '198.51.100.7, 10.0.0.2', 'x-forwarded-proto': 'https' },
    { 'x-forwarded-proto': ' https , http' },
    { 'x-forwarded-proto': 'http' },
    { 'x-forwarded-for': 'not an address', 'x-forwarded-proto': '' },
  ];

  const requestWith = (socket: object, headers: Record<string, string>) => {
    const req = new http.IncomingMessage(socket as Socket);
    req.headers = { ...headers };
    return req;
  };

  test.each(trusts.map((trust) => [String(trust), trust]))('trust proxy %s', (_name, trust) => {
    const app = express();
    app.set('trust proxy', trust);
    let compared = 0;
    for (const socket of sockets) {
      for (const headers of headerSets) {
        const expressRequest = Object.setPrototypeOf(requestWith(socket, headers), app.request) as Request;
        const req = requestWith(socket, headers);
        const res = new http.ServerResponse(req);
        withClientFacts(app, req, res);
        const facts = req as unknown as { ip: unknown; secure: unknown };
        expect([socket, headers, facts.ip, facts.secure]).toEqual([
          socket,
          headers,
          expressRequest.ip,
          expressRequest.secure,
        ]);
        // Not Express's objects: node:http's own, with the facts as own values.
        expect(Object.getPrototypeOf(req)).toBe(http.IncomingMessage.prototype);
        expect(Object.getPrototypeOf(res)).toBe(http.ServerResponse.prototype);
        compared += 1;
      }
    }
    expect(compared).toBe(sockets.length * headerSets.length);
  });
});
