/** GraphQL documents shared by the integration specs, written as the web client would send them. */

export const TICKET_FIELDS = `
  id title description status priority category createdAt updatedAt closedAt
  project { id name }
  author { id username email notifyByEmail }
  assignee { id username }
  jobs { id createdAt comment internal status author { id username } changes { field from to } }
`;

export const TICKET = `query ($id: ID!) { ticket(id: $id) { ${TICKET_FIELDS} } }`;

export const UPDATE_TICKET = `mutation ($id: ID!, $input: UpdateTicketInput!) {
  updateTicket(id: $id, input: $input) { ${TICKET_FIELDS} }
}`;

export const CREATE_TICKET = `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { ${TICKET_FIELDS} } }`;

export const TICKETS = `query ($filter: TicketFilter, $orderBy: TicketOrder, $first: Int, $after: String) {
  tickets(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id title status priority } }
    nodes { id }
  }
}`;

export const REGISTER = `mutation ($input: RegisterInput!) { register(input: $input) { token user { id username email role } } }`;

export const LOGIN = `mutation ($input: LoginInput!) { login(input: $input) { token user { id username role } } }`;

export const UPDATE_ME = `mutation ($input: UpdateMeInput!) { updateMe(input: $input) { id email locale notifyByEmail } }`;

export const ME = `{ me { id username email role locale notifyByEmail } }`;

export const SET_ROLE = `mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id role } }`;

export const CREATE_PROJECT = `mutation ($input: CreateProjectInput!) {
  createProject(input: $input) { id name description archived openTicketCount }
}`;

export const UPDATE_PROJECT = `mutation ($id: ID!, $input: UpdateProjectInput!) {
  updateProject(id: $id, input: $input) { id name description archived }
}`;

export interface JobView {
  id: string;
  createdAt: string;
  comment: string | null;
  internal: boolean;
  status: string;
  author: { id: string; username: string };
  changes: { field: string; from: string | null; to: string | null }[];
}

export interface TicketView {
  id: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  category: string;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  project: { id: string; name: string };
  author: { id: string; username: string; email: string | null; notifyByEmail: boolean | null };
  assignee: { id: string; username: string } | null;
  jobs: JobView[];
}

export interface TicketsView {
  tickets: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    edges: { cursor: string; node: { id: string; title: string; status: string; priority: string } }[];
    nodes: { id: string }[];
  };
}
