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

// Accounts by email: each answers true or a BAD_USER_INPUT on `token` (bad, expired or used link).
export const RequestPasswordResetMutation = graphql(`
  mutation RequestPasswordReset($email: String!) {
    requestPasswordReset(email: $email)
  }
`);

export const ResetPasswordMutation = graphql(`
  mutation ResetPassword($input: ResetPasswordInput!) {
    resetPassword(input: $input)
  }
`);

// Signed out, emailVerified reads null: a successful answer is the confirmation.
export const VerifyEmailMutation = graphql(`
  mutation VerifyEmail($token: String!) {
    verifyEmail(token: $token) {
      id
      emailVerified
    }
  }
`);

export const ResendVerificationMutation = graphql(`
  mutation ResendVerificationEmail {
    resendVerificationEmail
  }
`);

/** True while the service has no account: the first to register becomes its administrator. */
export const SetupNeededQuery = graphql(`
  query SetupNeeded {
    setupNeeded
  }
`);
