import { buildSchema, getOperationAST, parse } from 'graphql';
import { listBeyondTheEvent } from './event-selection';

const schema = buildSchema(`
  type Query { ping: Int }
  type Subscription { jobAdded: Job! }
  type Job { id: ID! changes: [Change!]! ticket: Ticket! author: User }
  type Change { field: String! }
  type Ticket { id: ID! assignee: User jobs: [Job!]! history: JobConnection! }
  type JobConnection { totalCount: Int! }
  type User { username: String! }
`);

function check(query: string): string | null {
  const document = parse(query);
  return listBeyondTheEvent(schema, document, getOperationAST(document)!);
}

describe('listBeyondTheEvent', () => {
  it('lets a subscription select its job’s own lists and the single values it leads to', () => {
    expect(
      check('subscription { jobAdded { id changes { field } ticket { id assignee { username } } } }'),
    ).toBeNull();
  });

  it('names the first list or connection beyond the job, by its path and alias', () => {
    expect(check('subscription { jobAdded { ticket { jobs { id } } } }')).toBe('jobAdded.ticket.jobs');
    expect(check('subscription { e: jobAdded { t: ticket { h: history { totalCount } } } }')).toBe('e.t.h');
  });

  it('finds it through named and inline fragments', () => {
    expect(
      check(
        'subscription { jobAdded { ...J } } fragment J on Job { ticket { ...T } } fragment T on Ticket { jobs { id } }',
      ),
    ).toBe('jobAdded.ticket.jobs');
    expect(check('subscription { jobAdded { ... on Job { ticket { ... { jobs { id } } } } } }')).toBe(
      'jobAdded.ticket.jobs',
    );
  });
});
