import { graphql, type ResultOf } from '../../lib/graphql';

export const OutboxMessageFields = graphql(`
  fragment OutboxMessageFields on OutboxMessage {
    id
    channel
    recipient
    subject
    webhookDelivery {
      id
      event
      job {
        id
        ticket {
          id
        }
      }
    }
    state
    attempts
    lastError
    createdAt
    nextAttemptAt
    sentAt
  }
`);

export type OutboxRow = ResultOf<typeof OutboxMessageFields>;

export const OutboxQuery = graphql(
  `
    query Outbox($state: OutboxState, $first: Int, $after: String) {
      outbox(state: $state, first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...OutboxMessageFields
        }
      }
    }
  `,
  [OutboxMessageFields],
);

export const RetryOutboxMessageMutation = graphql(
  `
    mutation RetryOutboxMessage($id: ID!) {
      retryOutboxMessage(id: $id) {
        ...OutboxMessageFields
      }
    }
  `,
  [OutboxMessageFields],
);

export const outboxStates = ['PENDING', 'SENT', 'FAILED', 'CANCELLED'] as const;
export type OutboxStateValue = (typeof outboxStates)[number];
