import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { MUTATION_COST, operationCost } from './operation-cost';

const schema = buildSchema(`
  type Query { me: User, tickets(first: Int = 20): TicketConnection!, ticket(id: ID!): Ticket, history(first: Int): JobConnection! }
  type Mutation { touch: Boolean, poke: Boolean }
  type User { id: ID! }
  type TicketConnection { nodes: [Ticket!]! }
  type Ticket { id: ID!, jobs: [Job!]!, comments(first: Int = 10): JobConnection! }
  type JobConnection { nodes: [Job!]! }
  type Job { id: ID! }
`);

function cost(source: string, variables: Record<string, unknown> = {}): number {
  const document = parse(source);
  const operation = document.definitions.find(
    (d) => d.kind === 'OperationDefinition',
  ) as OperationDefinitionNode;
  return operationCost(schema, document, operation, variables);
}

describe('operationCost (GitHub: requests the query may make / 100, at least 1)', () => {
  test('a query without pages costs 1', () => {
    expect(cost('{ me { id } ticket(id: 1) { id jobs { id } } }')).toBe(1);
  });

  test('a list without pages is one request per parent: 100 tickets with their jobs = 101 requests → 2', () => {
    expect(cost('{ tickets(first: 100) { nodes { id jobs { id } } } }')).toBe(2);
    expect(cost('{ tickets(first: 100) { nodes { id } } }')).toBe(1);
  });

  test('nested pages multiply: 1 page of 100 + 100 pages of comments = 101 requests → 2', () => {
    expect(cost('{ tickets(first: 100) { nodes { comments(first: 5) { nodes { id } } } } }')).toBe(2);
  });

  test('defaults and variables are read; a missing first with no default counts as 100', () => {
    // tickets default 20 → 1 + 20 requests.
    expect(cost('{ tickets { nodes { comments { nodes { id } } } } }')).toBe(1);
    const big = `query ($n: Int) { tickets(first: $n) { nodes { comments(first: 1) { nodes { id } } } } }`;
    expect(cost(big, { n: 500 })).toBe(6);
    expect(cost('{ history { nodes { id } } }')).toBe(1);
  });

  test('fragments, named and inline, are counted where they are spread', () => {
    const source = `
      { tickets(first: 300) { nodes { ...T } } }
      fragment T on Ticket { ... on Ticket { comments { nodes { id } } } }`;
    expect(cost(source)).toBe(4);
  });

  test('a mutation adds its price per root field', () => {
    expect(cost('mutation { touch }')).toBe(1 + MUTATION_COST);
    expect(cost('mutation { a: touch b: poke }')).toBe(1 + 2 * MUTATION_COST);
  });
});
