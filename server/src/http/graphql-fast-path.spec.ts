import { parse, type OperationDefinitionNode } from 'graphql';
import { KnownOperations, answerTypeFor, bodyErrorAnswer, isPlainJson } from './graphql-fast-path';

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
