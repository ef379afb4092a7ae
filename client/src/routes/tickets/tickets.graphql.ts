import { graphql, type ResultOf } from '../../lib/graphql';

export const TicketRowFields = graphql(`
  fragment TicketRowFields on Ticket {
    id
    title
    status
    priority
    category
    createdAt
    updatedAt
    project {
      id
      name
    }
    author {
      id
      username
    }
    assignee {
      id
      username
    }
  }
`);

export type TicketRow = ResultOf<typeof TicketRowFields>;

export const TicketsQuery = graphql(
  `
    query Tickets($filter: TicketFilter, $orderBy: TicketOrder, $first: Int, $after: String) {
      tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
        totalCount
        pageInfo {
          hasNextPage
          endCursor
        }
        nodes {
          ...TicketRowFields
        }
      }
    }
  `,
  [TicketRowFields],
);

export const OpenProjectsQuery = graphql(`
  query OpenProjects {
    projects {
      id
      name
      archived
    }
  }
`);

/** Everyone a ticket can be assigned to (agents and admins); open to all staff. */
export const AssigneesQuery = graphql(`
  query Assignees {
    assignees {
      id
      username
    }
  }
`);

/** Every account, for the author filter: the users query is ADMIN only. */
export const AllUsersQuery = graphql(`
  query AllUsers {
    users {
      id
      username
    }
  }
`);

export const AttachmentFields = graphql(`
  fragment AttachmentFields on Attachment {
    id
    filename
    contentType
    size
    url
    isImage
  }
`);

export type AttachmentItem = ResultOf<typeof AttachmentFields>;

/** What the ticket page shows of a ticket, apart from its jobs: also what a live event brings with a job. */
export const TicketHeadFields = graphql(`
  fragment TicketHeadFields on Ticket {
    id
    title
    description
    descriptionHtml
    status
    priority
    category
    createdAt
    updatedAt
    closedAt
    project {
      id
      name
      archived
    }
    author {
      id
      username
    }
    assignee {
      id
      username
    }
    duplicateOf {
      id
      title
    }
  }
`);

/** One entry of the timeline. */
export const JobFields = graphql(
  `
    fragment JobFields on Job {
      id
      createdAt
      comment
      commentHtml
      internal
      status
      authorRole
      author {
        id
        username
      }
      changes {
        field
        from
        to
      }
      attachments {
        ...AttachmentFields
      }
    }
  `,
  [AttachmentFields],
);

export const TicketDetailFields = graphql(
  `
    fragment TicketDetailFields on Ticket {
      ...TicketHeadFields
      jobs {
        ...JobFields
      }
    }
  `,
  [TicketHeadFields, JobFields],
);

export type TicketDetail = ResultOf<typeof TicketDetailFields>;

export const TicketQuery = graphql(
  `
    query Ticket($id: ID!) {
      ticket(id: $id) {
        ...TicketDetailFields
      }
    }
  `,
  [TicketDetailFields],
);

/**
 * Each new job of the ticket the reader may see, with the ticket as it is after it: the open page adds
 * the job to the timeline and shows the new status, assignee, title… (TicketDetail.svelte).
 */
export const TicketUpdatedSubscription = graphql(
  `
    subscription TicketUpdated($id: ID!) {
      ticketUpdated(id: $id) {
        ...JobFields
        ticket {
          ...TicketHeadFields
        }
      }
    }
  `,
  [JobFields, TicketHeadFields],
);

export type LiveJob = ResultOf<typeof TicketUpdatedSubscription>['ticketUpdated'];

export const UpdateTicketMutation = graphql(
  `
    mutation UpdateTicket($id: ID!, $input: UpdateTicketInput!) {
      updateTicket(id: $id, input: $input) {
        ...TicketDetailFields
      }
    }
  `,
  [TicketDetailFields],
);

export const CreateTicketMutation = graphql(`
  mutation CreateTicket($input: CreateTicketInput!) {
    createTicket(input: $input) {
      id
    }
  }
`);

export const statuses = ['OPEN', 'IN_PROGRESS', 'WAITING', 'RESOLVED', 'CLOSED'] as const;
export const priorities = ['LOW', 'NORMAL', 'HIGH', 'URGENT'] as const;
export const categories = ['BUG', 'IMPROVEMENT', 'QUESTION', 'OTHER'] as const;
export type Status = (typeof statuses)[number];
export type PriorityValue = (typeof priorities)[number];
export type Category = (typeof categories)[number];
