import { graphql, type ResultOf } from '../../lib/graphql';
import { TicketRowFields } from './tickets.graphql';

/** The signed-in person's saved views, for the list's navigation. */
export const SavedViewsQuery = graphql(`
  query SavedViews {
    savedViews {
      id
      name
      query
      position
    }
  }
`);

export type SavedViewItem = ResultOf<typeof SavedViewsQuery>['savedViews'][number];

export const SaveViewMutation = graphql(`
  mutation SaveView($input: SaveViewInput!) {
    saveView(input: $input) {
      id
      name
      query
      position
    }
  }
`);

export const DeleteViewMutation = graphql(`
  mutation DeleteView($id: ID!) {
    deleteView(id: $id)
  }
`);

export const UpdateTicketsMutation = graphql(
  `
    mutation UpdateTickets($ids: [ID!]!, $input: BulkTicketUpdateInput!) {
      updateTickets(ids: $ids, input: $input) {
        ...TicketRowFields
      }
    }
  `,
  [TicketRowFields],
);
