import {
  GraphQLError,
  buildSchema,
  getVariableValues,
  graphql,
  parse,
  type OperationDefinitionNode,
} from 'graphql';
import { CompiledOperations, MAX_COMPILED_FIELDS, plainlyCoerces } from './compiled-execution';

class Refused extends Error {
  readonly extensions = { code: 'NOT_FOUND' };
}

const schema = buildSchema(`
  type Query { hello(name: String!): String, refused: String, count: Int!, echo(text: String): String }
  type Subscription { ticks: Int }
`);
const resolvers = {
  Query: {
    hello: (_: unknown, { name }: { name: string }) => `hello ${name}`,
    refused: () => {
      throw new Refused('No such thing.');
    },
    count: () => null,
    echo: (_: unknown, { text }: { text?: string | null }) => (text === undefined ? 'absent' : String(text)),
  },
};
for (const [name, resolve] of Object.entries(resolvers.Query))
  schema.getQueryType()!.getFields()[name].resolve = resolve;

function request(query: string, variables?: Record<string, unknown>) {
  const document = parse(query);
  return {
    key: query,
    document,
    operation: document.definitions[0] as OperationDefinitionNode,
    operationName: undefined,
    variables,
    context: {},
  };
}

test('a document is compiled on its second run and answers as graphql-js did', async () => {
  const operations = new CompiledOperations(schema);
  const hello = request('query ($name: String!) { hello(name: $name) }', { name: 'Ada' });
  const first = await operations.execute(hello);
  expect(operations.runs).toEqual({ compiled: 0, interpreted: 1 });
  const second = await operations.execute(hello);
  expect(operations.runs).toEqual({ compiled: 1, interpreted: 1 });
  expect(second).toEqual(first);
  expect(second).toEqual({ data: { hello: 'hello Ada' } });
});

test('errors are graphql-js GraphQLErrors with the thrown error, path and locations kept', async () => {
  const operations = new CompiledOperations(schema, { compiledFromRun: 1 });
  const refused = await operations.execute(request('{ a: hello(name: "x")\n  refused }'));
  expect(operations.runs.compiled).toBe(1);
  const [error] = refused.errors!;
  expect(error).toBeInstanceOf(GraphQLError);
  expect(error.originalError).toBeInstanceOf(Refused);
  expect(error.extensions).toEqual({ code: 'NOT_FOUND' });
  expect(error.path).toEqual(['refused']);
  expect(error.toJSON().locations).toEqual([{ line: 2, column: 3 }]);
  expect(refused.data).toEqual({ a: 'hello x', refused: null });

  // A null where none may be: the whole answer is null, as graphql-js would say.
  const nulled = await operations.execute(request('{ count }'));
  expect(nulled.data).toBeNull();
  expect(nulled.errors![0]).toBeInstanceOf(GraphQLError);
  expect(nulled.errors![0].path).toEqual(['count']);
});

test('variables that do not coerce, and subscriptions, stay with graphql-js', async () => {
  const operations = new CompiledOperations(schema, { compiledFromRun: 1 });
  const bad = await operations.execute(request('query ($name: String!) { hello(name: $name) }', { name: 3 }));
  expect(operations.runs).toEqual({ compiled: 0, interpreted: 1 });
  expect(bad.errors![0].message).toMatch(/^Variable "\$name" got invalid value 3/);
  await operations.execute(request('subscription { ticks }'));
  expect(operations.runs).toEqual({ compiled: 0, interpreted: 2 });
});

test('remembers a bounded number of documents, the least recently used forgotten first', async () => {
  const operations = new CompiledOperations(schema, { capacity: 2 });
  const a = request('{ a: hello(name: "a") }');
  const b = request('{ b: hello(name: "b") }');
  const c = request('{ c: hello(name: "c") }');
  await operations.execute(a);
  await operations.execute(b);
  await operations.execute(a); // a compiled, and now the most recent
  await operations.execute(c); // b forgotten
  expect(operations.runs).toEqual({ compiled: 1, interpreted: 3 });
  await operations.execute(a);
  expect(operations.runs.compiled).toBe(2);
  await operations.execute(b); // seen "once" again: interpreted
  expect(operations.runs).toEqual({ compiled: 2, interpreted: 4 });
});

test('documents graphql-jit answers differently stay with graphql-js: @skip/@include, null for a defaulted variable', async () => {
  const operations = new CompiledOperations(schema, { compiledFromRun: 1 });
  const conditional = request('query ($b: Boolean = false) { a: hello(name: "a") @skip(if: $b) count }', {
    b: null,
  });
  await operations.execute(conditional);
  await operations.execute(conditional);
  expect(operations.runs).toEqual({ compiled: 0, interpreted: 2 });

  const defaulted = 'query ($name: String = "Ada") { hello(name: $name) }';
  const given = await operations.execute(request(defaulted, { name: 'Bob' }));
  expect(given).toEqual({ data: { hello: 'hello Bob' } });
  expect(operations.runs).toEqual({ compiled: 1, interpreted: 2 });
  // null given where the default would be: graphql-js decides (here: an error, the argument is non-null).
  const nulled = await operations.execute(request(defaulted, { name: null }));
  expect(operations.runs).toEqual({ compiled: 1, interpreted: 3 });
  expect(nulled.errors?.[0].message).toMatch(/must not be null/);
});

test('a document of more fields than MAX_COMPILED_FIELDS is not compiled, fragments counted as often as spread', async () => {
  const operations = new CompiledOperations(schema, { compiledFromRun: 1 });
  const spreads = Array.from(
    { length: MAX_COMPILED_FIELDS / 2 + 1 },
    (_, i) => `f${i}: hello(name: "x") ...F`,
  );
  const large = request(`{ ${spreads.join(' ')} } fragment F on Query { count }`);
  await operations.execute(large);
  await operations.execute(large);
  expect(operations.runs).toEqual({ compiled: 0, interpreted: 2 });
});

test('compiling stops once the window’s budget is spent: the document runs in graphql-js', async () => {
  const operations = new CompiledOperations(schema, { compiledFromRun: 1, compileBudgetMs: 0 });
  const hello = request('{ hello(name: "x") }');
  expect(await operations.execute(hello)).toEqual({ data: { hello: 'hello x' } });
  await operations.execute(hello);
  expect(operations.runs).toEqual({ compiled: 0, interpreted: 2 });
});

test('a value said to coerce plainly is one graphql-js coerces, for every built-in scalar, null and absence', () => {
  const types = ['ID', 'String', 'Int', 'Float', 'Boolean', 'Custom', '[Int]'];
  const variants = types.flatMap((type) => [type, `${type}!`, `${type} = null`, `${type}! = 1`]);
  const values: unknown[] = [
    undefined,
    null,
    '',
    '7',
    'x',
    0,
    7,
    -7,
    1.5,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31),
    -(2 ** 31) - 1,
    Number.NaN,
    Infinity,
    true,
    false,
    [],
    [1],
    {},
    { a: 1 },
    10n,
  ];
  const typed = buildSchema(
    'scalar Custom type Query { a(i: ID, s: String, n: Int, f: Float, b: Boolean, c: Custom): Int }',
  );
  let plain = 0;
  for (const variant of variants) {
    const operation = parse(`query ($v: ${variant}) { a }`).definitions[0] as OperationDefinitionNode;
    const definition = operation.variableDefinitions![0];
    for (const value of values) {
      if (!plainlyCoerces(definition, value)) continue;
      plain += 1;
      const coerced = getVariableValues(typed, [definition], value === undefined ? {} : { v: value });
      expect([variant, value, coerced.errors]).toEqual([variant, value, undefined]);
    }
  }
  // Not a check that answers no to everything: most of the built-in cases are plain.
  expect(plain).toBeGreaterThan(60);
});

test('defaults and variable names answer as in graphql-js: a left-out non-null default, names of Object’s own', async () => {
  const cases: [string, Record<string, unknown> | undefined][] = [
    ['query ($name: String! = "you") { hello(name: $name) }', {}],
    ['query ($name: String! = "you") { hello(name: $name) }', undefined],
    ['query ($name: String! = "you") { hello(name: $name) }', { name: 'me' }],
    [
      'query ($constructor: String, $toString: String, $__proto__: String) { a: echo(text: $constructor) b: echo(text: $toString) c: echo(text: $__proto__) }',
      {},
    ],
    [
      'query ($constructor: String, $toString: String, $__proto__: String) { a: echo(text: $constructor) b: echo(text: $toString) c: echo(text: $__proto__) }',
      JSON.parse('{"__proto__": "p", "constructor": "c"}') as Record<string, unknown>,
    ],
  ];
  for (const [query, variables] of cases) {
    const expected = await graphql({ schema, source: query, variableValues: variables });
    const operations = new CompiledOperations(schema, { compiledFromRun: 1 });
    for (let run = 0; run < 2; run++) {
      const answer = await operations.execute(request(query, variables));
      expect([query, variables, JSON.parse(JSON.stringify(answer))]).toEqual([
        query,
        variables,
        JSON.parse(JSON.stringify(expected)),
      ]);
    }
  }
  // Names of Object's own are read as absent by compiled code itself; `$__proto__` and a left-out
  // non-null default go to graphql-js.
  const runs = async (query: string) => {
    const operations = new CompiledOperations(schema, { compiledFromRun: 1 });
    const answer = await operations.execute(request(query, {}));
    return { data: answer.data, runs: operations.runs };
  };
  await expect(
    runs(
      'query ($constructor: String, $toString: String) { a: echo(text: $constructor) b: echo(text: $toString) }',
    ),
  ).resolves.toEqual({ data: { a: 'absent', b: 'absent' }, runs: { compiled: 1, interpreted: 0 } });
  await expect(runs(cases[3][0])).resolves.toMatchObject({ runs: { compiled: 0, interpreted: 1 } });
  await expect(runs(cases[0][0])).resolves.toEqual({
    data: { hello: 'hello you' },
    runs: { compiled: 0, interpreted: 1 },
  });
});
