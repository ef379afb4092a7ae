import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import {
  type DocumentNode,
  type ExecutionResult,
  GraphQLError,
  type GraphQLSchema,
  type OperationDefinitionNode,
  execute,
  getVariableValues,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/*
 * Queries run as compiled JavaScript (graphql-jit) once they are seen again: the web client's pages
 * send the same few documents over and over, and graphql-js's field-by-field execution (its resolver
 * calls, path and completion bookkeeping for every job of a page) was the largest share of their CPU.
 * Apollo keeps parsing, validating (query limits included), its plugins and error formatting; only the
 * execute step changes, through Apollo's documented seam for a custom executor (the `gateway` option).
 *
 * What stays with graphql-js: a document's first run (compiling costs more than one execution, so a
 * stream of one-off documents never pays it), a document graphql-jit cannot compile, and variables that
 * do not coerce (the errors, and so the answers, are graphql-js's own, as before).
 */

type Gateway = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;

/** Documents remembered (seen once, or compiled); the least recently used is forgotten beyond it. */
export const COMPILED_CACHE_SIZE = 500;

/** A compiled operation, or the mark of one seen once (`null`), or one that cannot be compiled (`false`). */
type Entry = CompiledQuery | null | false;

export class CompiledOperations {
  private readonly entries = new Map<string, Entry>();
  /** How many executions went through compiled code, and how many through graphql-js (tests, logs). */
  readonly runs = { compiled: 0, interpreted: 0 };

  constructor(
    private readonly schema: GraphQLSchema,
    /** The run of a document that is compiled: 2 (by default), or 1 (tests: every run compiled). */
    private readonly compiledFromRun: 1 | 2 = 2,
    private readonly capacity = COMPILED_CACHE_SIZE,
  ) {}

  async execute(request: {
    key: string;
    document: DocumentNode;
    /** Undefined when the document has no such operation (graphql-js answers it, as before). */
    operation: OperationDefinitionNode | undefined;
    operationName: string | undefined;
    variables: Record<string, unknown> | undefined;
    context: unknown;
  }): Promise<ExecutionResult> {
    // Queries only. Mutations stay with graphql-js: once a root field fails into a null that nulls the
    // whole answer, graphql-js runs none of the mutations after it, and graphql-jit still runs them,
    // answering for none (a write nobody is told of). Subscriptions are a stream, not one answer.
    const compiled =
      request.operation?.operation === 'query'
        ? this.compiledFor(request.key, request.document, request.operationName)
        : null;
    const variables = request.variables ?? {};
    // Variables are checked by graphql-js first: a refusal reads exactly as it always has.
    const coercible =
      !compiled ||
      !request.operation?.variableDefinitions?.length ||
      !getVariableValues(this.schema, request.operation.variableDefinitions, variables, { maxErrors: 50 })
        .errors;
    if (!compiled || !coercible) {
      this.runs.interpreted += 1;
      return execute({
        schema: this.schema,
        document: request.document,
        operationName: request.operationName,
        variableValues: variables,
        contextValue: request.context,
      });
    }
    this.runs.compiled += 1;
    const result = await compiled.query(undefined, request.context, variables);
    return result.errors?.length ? { ...result, errors: result.errors.map(asGraphQLError) } : result;
  }

  /** The compiled operation for a document seen before; null on its first sighting or when it cannot be. */
  private compiledFor(
    key: string,
    document: DocumentNode,
    operationName: string | undefined,
  ): CompiledQuery | null {
    const known = this.entries.get(key);
    if (known === undefined && this.compiledFromRun === 2) {
      this.remember(key, null);
      return null;
    }
    // Most recently used last, so the first key is the one to forget.
    this.entries.delete(key);
    if (known !== null && known !== undefined) {
      this.entries.set(key, known);
      return known || null;
    }
    const compiled = compileQuery(this.schema, document, operationName, {
      disablingCapturingStackErrors: true,
    });
    const entry = isCompiledQuery(compiled) ? compiled : false;
    this.remember(key, entry);
    return entry || null;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * graphql-jit reports errors with an object of its own: make it graphql-js's GraphQLError, with the
 * thrown error as originalError, so that Apollo and formatError (graphql-errors.ts) read it as before.
 */
function asGraphQLError(error: GraphQLError): GraphQLError {
  const converted = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: error.extensions,
  });
  // The positions graphql-jit already computed from the document (graphql-js derives them from nodes).
  if (error.locations?.length) Object.assign(converted, { locations: error.locations });
  return converted;
}

/** Apollo's seam for a custom executor: the schema as it is, operations through CompiledOperations. */
export function compiledExecutionGateway(
  schema: GraphQLSchema,
  compiledFromRun: 1 | 2 = 2,
): {
  gateway: Gateway;
  operations: CompiledOperations;
} {
  const operations = new CompiledOperations(schema, compiledFromRun);
  const executor: Executor = (requestContext) =>
    operations.execute({
      key: `${requestContext.queryHash}\u0000${requestContext.request.operationName ?? ''}`,
      document: requestContext.document,
      operation: requestContext.operation,
      operationName: requestContext.request.operationName,
      variables: requestContext.request.variables,
      context: requestContext.context,
    });
  const gateway: Gateway = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
  return { gateway, operations };
}
