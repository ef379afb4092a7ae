import { graphql, type ResultOf } from '../../lib/graphql';

export const WebhookDeliveryFields = graphql(`
  fragment WebhookDeliveryFields on WebhookDelivery {
    id
    event
    state
    responseStatus
    attempts
    createdAt
    lastError
    nextAttemptAt
    job {
      id
      ticket {
        id
        title
      }
    }
  }
`);

export type DeliveryRow = ResultOf<typeof WebhookDeliveryFields>;

export const WebhookFields = graphql(
  `
    fragment WebhookFields on Webhook {
      id
      url
      project {
        id
        name
      }
      events
      includeInternal
      active
      createdAt
      recentDeliveries {
        ...WebhookDeliveryFields
      }
    }
  `,
  [WebhookDeliveryFields],
);

export type WebhookRow = ResultOf<typeof WebhookFields>;

export const WebhooksQuery = graphql(
  `
    query Webhooks {
      webhooks {
        ...WebhookFields
      }
      projects {
        id
        name
      }
    }
  `,
  [WebhookFields],
);

export const CreateWebhookMutation = graphql(
  `
    mutation CreateWebhook($input: CreateWebhookInput!) {
      createWebhook(input: $input) {
        secret
        webhook {
          ...WebhookFields
        }
      }
    }
  `,
  [WebhookFields],
);

export const UpdateWebhookMutation = graphql(
  `
    mutation UpdateWebhook($id: ID!, $input: UpdateWebhookInput!) {
      updateWebhook(id: $id, input: $input) {
        ...WebhookFields
      }
    }
  `,
  [WebhookFields],
);

export const DeleteWebhookMutation = graphql(`
  mutation DeleteWebhook($id: ID!) {
    deleteWebhook(id: $id)
  }
`);

export const RedeliverWebhookMutation = graphql(
  `
    mutation RedeliverWebhook($id: ID!) {
      redeliverWebhook(id: $id) {
        ...WebhookDeliveryFields
      }
    }
  `,
  [WebhookDeliveryFields],
);

export const webhookEvents = ['TICKET_OPENED', 'TICKET_UPDATED'] as const;
export type WebhookEventValue = (typeof webhookEvents)[number];
