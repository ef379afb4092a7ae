import path from 'node:path';
import { GraphQLScalarType, printSchema, type GraphQLSchema } from 'graphql';
import { GraphQLISODateTime, buildSchema } from 'type-graphql';
import { AccountsResolver } from './accounts/accounts.resolver';
import { ApiTokenResolver } from './api-tokens/api-token.resolver';
import {
  AttachmentResolver,
  JobAttachmentResolver,
  TicketAttachmentResolver,
} from './attachments/attachment.resolver';
import { AuthResolver } from './auth/auth.resolver';
import { authChecker } from './auth/auth-checker';
import { HistoryResolver } from './history/history.resolver';
import { DuplicateResolver } from './tickets/duplicate.resolver';
import { JobMarkdownResolver, MarkdownResolver, TicketMarkdownResolver } from './markdown/markdown.resolver';
import { OutboxResolver } from './outbox/outbox.resolver';
import { ProjectResolver } from './projects/project.resolver';
import { SavedViewResolver } from './saved-views/saved-view.resolver';
import { StatsResolver } from './stats/stats.resolver';
import { JobResolver, TicketResolver } from './tickets/ticket.resolver';
import { UserResolver } from './users/user.resolver';
import { OutboxWebhookResolver } from './webhooks/outbox-webhook.resolver';
import { WebhookDeliveryResolver, WebhookResolver } from './webhooks/webhook.resolver';

export const resolvers = [
  AuthResolver,
  UserResolver,
  AccountsResolver,
  ProjectResolver,
  TicketResolver,
  JobResolver,
  StatsResolver,
  HistoryResolver,
  OutboxResolver,
  WebhookResolver,
  WebhookDeliveryResolver,
  OutboxWebhookResolver,
  ApiTokenResolver,
  DuplicateResolver,
  TicketMarkdownResolver,
  JobMarkdownResolver,
  MarkdownResolver,
  AttachmentResolver,
  TicketAttachmentResolver,
  JobAttachmentResolver,
  SavedViewResolver,
] as const;

/** The committed copy of the schema at the top of the repository. */
export const schemaFile = path.resolve(__dirname, '..', '..', 'schema.graphql');

/**
 * TypeGraphQL's DateTimeISO, but a valid Date (every timestamp of every answer) goes straight to
 * toISOString: the same text, without the checks graphql-scalars makes of every other kind of value.
 */
export const DateTimeISO = new GraphQLScalarType({
  ...GraphQLISODateTime.toConfig(),
  serialize: (value) =>
    value instanceof Date && !Number.isNaN(value.getTime())
      ? value.toISOString()
      : GraphQLISODateTime.serialize(value),
});

let built: Promise<GraphQLSchema> | undefined;

/** Built once per process: TypeGraphQL's metadata is global. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({
    resolvers,
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    // TypeGraphQL 2 leaves validation off by default: every input goes through class-validator here.
    validate: { forbidUnknownValues: false, stopAtFirstError: true },
  });
  return built;
}

export async function printApiSchema(): Promise<string> {
  return `# Generated from the server's code by \`npm run schema\`. Do not edit.\n\n${printSchema(await buildApiSchema())}\n`;
}
