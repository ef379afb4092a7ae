import { graphql } from '../../lib/graphql';
import { MeFields } from '../../lib/session.svelte';

// Only the user is read back: the token in the payload is deliberately never requested, the cookie is the session.
export const LoginMutation = graphql(
  `
    mutation Login($input: LoginInput!) {
      login(input: $input) {
        user {
          ...MeFields
        }
      }
    }
  `,
  [MeFields],
);

export const RegisterMutation = graphql(
  `
    mutation Register($input: RegisterInput!) {
      register(input: $input) {
        user {
          ...MeFields
        }
      }
    }
  `,
  [MeFields],
);
