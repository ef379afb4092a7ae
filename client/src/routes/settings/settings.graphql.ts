import { graphql, type ResultOf } from '../../lib/graphql';
import { MeFields } from '../../lib/session.svelte';

/** The account as Settings edits it: the session's fields and those only this page shows. */
export const SettingsFields = graphql(
  `
    fragment SettingsFields on User {
      ...MeFields
      notifyNewTickets
    }
  `,
  [MeFields],
);

export const SettingsQuery = graphql(
  `
    query Settings {
      me {
        ...SettingsFields
      }
    }
  `,
  [SettingsFields],
);

export const UpdateMeMutation = graphql(
  `
    mutation UpdateMe($input: UpdateMeInput!) {
      updateMe(input: $input) {
        ...SettingsFields
      }
    }
  `,
  [SettingsFields],
);

export type Account = ResultOf<typeof SettingsFields>;

export const ApiTokenFields = graphql(`
  fragment ApiTokenFields on ApiToken {
    id
    name
    scope
    createdAt
    expiresAt
    lastUsedAt
  }
`);

export type ApiTokenRow = ResultOf<typeof ApiTokenFields>;

export const ApiTokensQuery = graphql(
  `
    query ApiTokens {
      apiTokens {
        ...ApiTokenFields
      }
    }
  `,
  [ApiTokenFields],
);

export const CreateApiTokenMutation = graphql(
  `
    mutation CreateApiToken($input: CreateApiTokenInput!) {
      createApiToken(input: $input) {
        secret
        apiToken {
          ...ApiTokenFields
        }
      }
    }
  `,
  [ApiTokenFields],
);

export const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(id: $id)
  }
`);

export const tokenScopes = ['READ', 'WRITE'] as const;
