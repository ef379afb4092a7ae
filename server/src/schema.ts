import path from 'node:path';
import { GraphQLScalarType, isObjectType, printSchema, type GraphQLSchema } from 'graphql';
import {
  type BuildSchemaOptions,
  type ContainerType,
  GraphQLISODateTime,
  type PubSub,
  buildSchema,
  getMetadataStorage,
} from 'type-graphql';
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
import { LiveResolver } from './live/live.resolver';
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
  LiveResolver,
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

/** Subscriptions here have their own subscribe function (live/live.resolver.ts): no topic is ever used. */
const noTopics: PubSub = {
  publish: () => {
    throw new Error('Subscriptions read the live feed (server/src/live/), not pub/sub topics.');
  },
  subscribe: () => {
    throw new Error('Subscriptions read the live feed (server/src/live/), not pub/sub topics.');
  },
};

let built: Promise<GraphQLSchema> | undefined;

/**
 * TypeGraphQL gives every plain field of an object type (`Job.id`, `Job.createdAt`…) a resolver of its own,
 * which runs the field's middlewares and auth check and then reads the property: a call and an object per
 * field of every row. A field with neither reads its property directly, as graphql-js and compiled queries
 * do when there is no resolver: on a page of 50 tickets and their 500 jobs, thousands of calls fewer. A
 * field with a role (@Authorized), a middleware, a resolver method or another name in the schema keeps it.
 * Returns the fields so read, as `Type.field`.
 */
export function readPlainFieldsDirectly(schema: GraphQLSchema): string[] {
  const storage = getMetadataStorage();
  const direct: string[] = [];
  for (const objectType of storage.objectTypes) {
    const type = schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const fields = type.getFields();
    for (const field of objectType.fields ?? []) {
      const built = fields[field.schemaName];
      if (!built?.resolve) continue;
      if (field.roles !== undefined || (field.middlewares?.length ?? 0) > 0) continue;
      if (field.schemaName !== field.name || (field.params?.length ?? 0) > 0) continue;
      const method = storage.fieldResolvers.some(
        (resolver) =>
          resolver.schemaName === field.schemaName && resolver.getObjectType?.() === objectType.target,
      );
      if (method) continue;
      built.resolve = undefined;
      direct.push(`${type.name}.${field.schemaName}`);
    }
  }
  return direct;
}

/** The instances of the resolver classes, one each, which TypeGraphQL and callResolverMethodsDirectly share. */
const resolverInstances = new Map<unknown, object>();
const resolverContainer: ContainerType = {
  get: (someClass) => {
    let instance = resolverInstances.get(someClass);
    if (!instance) resolverInstances.set(someClass, (instance = new (someClass as new () => object)()));
    return instance;
  },
};

/**
 * The same for resolver methods that take only the parent object and the context (`Ticket.author`,
 * `Job.author`…): TypeGraphQL's handler gets the class instance, gathers the parameters and runs the
 * (empty) middleware chain for each of them, once per job of a ticket. A method with a role, a middleware,
 * an argument or info keeps it; so does a call whose parent is not already an instance of the declared
 * class (TypeGraphQL would convert it first). Global middlewares run for every field, so with any
 * (`globalMiddlewares`, as given to buildSchema) no method is called directly. Returns the fields so
 * called, as `Type.field`.
 */
export function callResolverMethodsDirectly(
  schema: GraphQLSchema,
  globalMiddlewares: readonly unknown[] = [],
): string[] {
  if (globalMiddlewares.length > 0) return [];
  const storage = getMetadataStorage();
  const registered = new Set<unknown>(resolvers);
  // Only the resolver classes the schema is built from, and a field only one of them resolves (as TypeGraphQL
  // takes the first, any doubt leaves its handler in place).
  const candidates = storage.fieldResolvers.filter(
    (resolver) => resolver.kind === 'external' && registered.has(resolver.target),
  );
  const direct: string[] = [];
  for (const resolver of candidates) {
    if (!resolver.methodName) continue;
    if (resolver.roles !== undefined || (resolver.middlewares?.length ?? 0) > 0) continue;
    const target = resolver.getObjectType?.();
    const sameField = candidates.filter(
      (other) => other.getObjectType?.() === target && other.schemaName === resolver.schemaName,
    );
    if (sameField.length !== 1) continue;
    const objectType = storage.objectTypes.find((type) => type.target === target);
    const type = objectType && schema.getType(objectType.name);
    if (!isObjectType(type)) continue;
    const built = type.getFields()[resolver.schemaName];
    const original = built?.resolve;
    if (!original) continue;
    const params = [...(resolver.params ?? [])].sort((a, b) => a.index - b.index);
    const rootAt = params.findIndex((param) => param.kind === 'root');
    const plain = params.every(
      (param, index) =>
        param.index === index &&
        (param.kind === 'root' || param.kind === 'context') &&
        !('propertyName' in param && param.propertyName),
    );
    if (!plain || params.length === 0) continue;
    const rootParam = params[rootAt] as { getType?: () => unknown } | undefined;
    const rootClass = rootParam?.getType?.();
    if (rootParam && typeof rootClass !== 'function') continue;
    const instance = resolverContainer.get(resolver.target, undefined as never) as Record<
      string,
      (...values: unknown[]) => unknown
    >;
    const method = instance[resolver.methodName];
    if (typeof method !== 'function') continue;
    const kinds = params.map((param) => param.kind);
    const call: (root: unknown, context: unknown) => unknown =
      kinds.join() === 'root,context'
        ? (root, context) => method.call(instance, root, context)
        : (root, context) =>
            method.apply(
              instance,
              kinds.map((kind) => (kind === 'root' ? root : context)),
            );
    built.resolve = (root: unknown, args, context: unknown, info) =>
      rootClass && !(root instanceof (rootClass as new () => unknown))
        ? original(root, args, context, info)
        : call(root, context);
    direct.push(`${type.name}.${resolver.schemaName}`);
  }
  return direct;
}

/** Built once per process: TypeGraphQL's metadata is global. */
export function buildApiSchema(): Promise<GraphQLSchema> {
  const options: BuildSchemaOptions = {
    resolvers,
    authChecker,
    scalarsMap: [{ type: Date, scalar: DateTimeISO }],
    // TypeGraphQL 2 leaves validation off by default: every input goes through class-validator here.
    validate: { forbidUnknownValues: false, stopAtFirstError: true },
    // Required by TypeGraphQL once there is a subscription; ours read the live feed (live/), not topics.
    pubSub: noTopics,
    container: resolverContainer,
  };
  built ??= buildSchema(options).then((schema) => {
    readPlainFieldsDirectly(schema);
    // Given the options' global middlewares: with any, every field keeps TypeGraphQL's handler.
    callResolverMethodsDirectly(schema, options.globalMiddlewares ?? []);
    return schema;
  });
  return built;
}

export async function printApiSchema(): Promise<string> {
  return `# Generated from the server's code by \`npm run schema\`. Do not edit.\n\n${printSchema(await buildApiSchema())}\n`;
}
