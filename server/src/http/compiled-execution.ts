import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import { performance } from 'node:perf_hooks';
import {
  BREAK,
  type DocumentNode,
  type ExecutionResult,
  type FragmentDefinitionNode,
  GraphQLError,
  type GraphQLSchema,
  Kind,
  type NonNullTypeNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
  execute,
  getVariableValues,
  visit,
} from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/*
 * Queries run as compiled JavaScript (graphql-jit) once they are seen again: the web client's pages
 * send the same few documents over and over, and graphql-js's field-by-field execution (its resolver
 * calls, path and completion bookkeeping for every job of a page) was the largest share of their CPU.
 * Apollo keeps parsing, validating (query limits included), its plugins and error formatting; only the
 * execute step changes, through Apollo's documented seam for a custom executor (the `gateway` option).
 *
 * What stays with graphql-js, where graphql-jit answers differently or compiling would cost more than
 * it saves (a review found each difference with a query):
 * - a document's first run: compiling costs more than one execution, so one-off documents never pay it;
 * - mutations and subscriptions (see execute below);
 * - documents with @skip or @include: graphql-jit reads a null condition as false and orders fields
 *   differently when a field's first occurrence is skipped;
 * - a request giving null to a nullable variable that has a default: graphql-js refuses it where the
 *   variable stands for a non-null list item or input field, graphql-jit hands the null to the resolver;
 * - variables that do not coerce (the errors, and so the answers, are graphql-js's own, as before);
 * - documents of more than MAX_COMPILED_FIELDS fields once fragments are expanded, and any document
 *   while compiling has used up COMPILE_BUDGET_MS of the current COMPILE_WINDOW_MS: compiling blocks the
 *   event loop (half a second for a 16-alias document), so a client sending ever new documents cannot
 *   turn it into a denial of service; such a document is compiled on a later run, in a later window.
 */

type Gateway = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type Executor = NonNullable<Awaited<ReturnType<Gateway['load']>>['executor']>;

/** Documents remembered (seen once, or compiled); the least recently used is forgotten beyond it. */
export const COMPILED_CACHE_SIZE = 500;
/** The web client's largest query has about 40 fields; a document with more runs in graphql-js. */
export const MAX_COMPILED_FIELDS = 200;
/** Compiling may take this much of the event loop per window, whatever documents arrive. */
export const COMPILE_BUDGET_MS = 100;
export const COMPILE_WINDOW_MS = 10_000;

export interface CompileSettings {
  /** The run of a document that is compiled: 2 (by default), or 1 (tests: every run compiled). */
  compiledFromRun: 1 | 2;
  capacity: number;
  compileBudgetMs: number;
}

const defaultSettings: CompileSettings = {
  compiledFromRun: 2,
  capacity: COMPILED_CACHE_SIZE,
  compileBudgetMs: COMPILE_BUDGET_MS,
};

/** A compiled operation, or the mark of one seen once (`null`), or one that cannot be compiled (`false`). */
type Entry = CompiledQuery | null | false;

export class CompiledOperations {
  private readonly entries = new Map<string, Entry>();
  private readonly settings: CompileSettings;
  private window = { startedAt: -Infinity, spentMs: 0 };
  /** How many executions went through compiled code, and how many through graphql-js (tests, logs). */
  readonly runs = { compiled: 0, interpreted: 0 };

  constructor(
    private readonly schema: GraphQLSchema,
    settings: Partial<CompileSettings> = {},
  ) {
    this.settings = { ...defaultSettings, ...settings };
  }

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
    const operation = request.operation;
    const compiled =
      operation?.operation === 'query'
        ? this.compiledFor(request.key, request.document, operation, request.operationName)
        : null;
    // Own keys only: graphql-jit reads `variables.constructor` for an omitted `$constructor` and finds
    // Object's (graphql-js looks at own keys); a JSON `__proto__` key stays an own key in the copy.
    const variables = Object.assign(Object.create(null) as Record<string, unknown>, request.variables);
    if (!compiled || !variablesFitCompiledCode(this.schema, operation!, variables)) {
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
    operation: OperationDefinitionNode,
    operationName: string | undefined,
  ): CompiledQuery | null {
    const known = this.entries.get(key);
    if (known === undefined && this.settings.compiledFromRun === 2) {
      this.remember(key, null);
      return null;
    }
    // Most recently used last, so the first key is the one to forget.
    this.entries.delete(key);
    if (known !== null && known !== undefined) {
      this.entries.set(key, known);
      return known || null;
    }
    if (!compilable(document, operation)) {
      this.remember(key, false);
      return null;
    }
    const started = performance.now();
    if (started - this.window.startedAt >= COMPILE_WINDOW_MS)
      this.window = { startedAt: started, spentMs: 0 };
    if (this.window.spentMs >= this.settings.compileBudgetMs) {
      // Seen, not compiled: a later run, in a later window, compiles it.
      this.remember(key, null);
      return null;
    }
    const compiled = compileQuery(this.schema, document, operationName, {
      disablingCapturingStackErrors: true,
    });
    this.window.spentMs += performance.now() - started;
    const entry = isCompiledQuery(compiled) ? compiled : false;
    this.remember(key, entry);
    return entry || null;
  }

  private remember(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    if (this.entries.size > this.settings.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}

/** No @skip/@include anywhere, and at most MAX_COMPILED_FIELDS fields with fragments expanded. */
function compilable(document: DocumentNode, operation: OperationDefinitionNode): boolean {
  let conditional = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'skip' || node.name.value === 'include') {
        conditional = true;
        return BREAK;
      }
      return undefined;
    },
  });
  if (conditional) return false;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  // Validation has refused fragment cycles; the count stops as soon as it is over the limit.
  let fields = 0;
  const count = (selectionSet: SelectionSetNode): boolean => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        fields += 1;
        if (fields > MAX_COMPILED_FIELDS) return false;
        if (selection.selectionSet && !count(selection.selectionSet)) return false;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (!count(selection.selectionSet)) return false;
      } else {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !count(fragment.selectionSet)) return false;
      }
    }
    return true;
  };
  return count(operation.selectionSet);
}

/**
 * Whether compiled code answers these variables as graphql-js would: they coerce (checked by graphql-js,
 * so a refusal reads exactly as it always has), no nullable variable with a default is given null, and
 * no non-null variable with a default is left out (graphql-jit applies no default to a non-null type and
 * refuses it as not provided, where graphql-js uses the default), and none is named `__proto__`.
 */
function variablesFitCompiledCode(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): boolean {
  const definitions = operation.variableDefinitions ?? [];
  if (definitions.length === 0) return true;
  for (const definition of definitions) {
    // graphql-jit copies variables into objects of its own, where a `__proto__` key is lost.
    if (definition.variable.name.value === '__proto__') return false;
    if (!definition.defaultValue) continue;
    const value = variables[definition.variable.name.value];
    if (definition.type.kind === Kind.NON_NULL_TYPE ? value === undefined : value === null) return false;
  }
  for (const definition of definitions) {
    if (!plainlyCoerces(definition, variables[definition.variable.name.value])) {
      return !getVariableValues(schema, definitions, variables, { maxErrors: 50 }).errors;
    }
  }
  return true;
}

const MAX_INT = 2 ** 31 - 1;

/**
 * Whether graphql-js surely coerces this value for this variable, for the usual case of a built-in
 * scalar: most requests give an id or a number, and coercing them with graphql-js before graphql-jit
 * coerces them again cost 1.5% of `ticket(id)` (issue 11). False says "ask graphql-js", not "refused".
 */
export function plainlyCoerces(definition: VariableDefinitionNode, value: unknown): boolean {
  const nonNull = definition.type.kind === Kind.NON_NULL_TYPE;
  const type = nonNull ? (definition.type as NonNullTypeNode).type : definition.type;
  if (type.kind !== Kind.NAMED_TYPE) return false;
  if (value === undefined) return !nonNull;
  if (value === null) return !nonNull;
  switch (type.name.value) {
    case 'ID':
      return typeof value === 'string' || Number.isInteger(value);
    case 'String':
      return typeof value === 'string';
    case 'Int':
      return Number.isInteger(value) && Math.abs(value as number) <= MAX_INT;
    case 'Float':
      return typeof value === 'number' && Number.isFinite(value);
    case 'Boolean':
      return typeof value === 'boolean';
    default:
      return false;
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
  settings: Partial<CompileSettings> = {},
): {
  gateway: Gateway;
  operations: CompiledOperations;
} {
  const operations = new CompiledOperations(schema, settings);
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
