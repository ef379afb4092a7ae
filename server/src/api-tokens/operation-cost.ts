import {
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
  Kind,
  getNamedType,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  valueFromAST,
} from 'graphql';

/** A mutation's price per root field: writes are dearer than reads (GitHub's secondary limit counts 5). */
export const MUTATION_COST = 5;
/** When `first` is absent and has no default, assume the most a page may hold. */
const ASSUMED_PAGE_SIZE = 100;

/**
 * GitHub's GraphQL cost model: count the requests the query may make (each paginated field, and each
 * list without pages, once per parent its outer pages may return), divide by 100, at least 1. A mutation costs MUTATION_COST per root
 * field on top. Computed from the document alone, before anything runs.
 */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown> = {},
): number {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const rootType = schema.getRootType(operation.operation);
  if (!rootType) return 1;
  let requests = 0;

  const walk = (
    selectionSet: SelectionSetNode,
    parentType: GraphQLCompositeType,
    multiplier: number,
    seen: Set<string>,
  ) => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (
          selection.name.value.startsWith('__') ||
          !(isObjectType(parentType) || isInterfaceType(parentType))
        )
          continue;
        const field = parentType.getFields()[selection.name.value];
        if (!field) continue;
        let childMultiplier = multiplier;
        const namedType = getNamedType(field.type);
        const firstArgument = field.args.find((argument) => argument.name === 'first');
        // A list of objects without `first` (Ticket.jobs, a webhook's deliveries) is one more request per
        // parent; a connection's own nodes and edges are the page already counted.
        const unboundedList =
          !firstArgument &&
          isListType(getNullableType(field.type)) &&
          (isObjectType(namedType) || isInterfaceType(namedType)) &&
          !parentType.name.endsWith('Connection');
        if (unboundedList) requests += multiplier;
        if (firstArgument) {
          requests += multiplier;
          const given = selection.arguments?.find((argument) => argument.name.value === 'first');
          const value = given
            ? valueFromAST(given.value, firstArgument.type, variables)
            : firstArgument.defaultValue;
          childMultiplier = multiplier * (typeof value === 'number' && value > 0 ? value : ASSUMED_PAGE_SIZE);
        }
        if (selection.selectionSet && (isObjectType(namedType) || isInterfaceType(namedType))) {
          walk(selection.selectionSet, namedType, childMultiplier, seen);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition
          ? schema.getType(selection.typeCondition.name.value)
          : parentType;
        if (type && (isObjectType(type) || isInterfaceType(type)))
          walk(selection.selectionSet, type, multiplier, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // A fragment spread inside itself is refused by validation; `seen` only guards this walk.
        if (!fragment || seen.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type && (isObjectType(type) || isInterfaceType(type))) {
          walk(fragment.selectionSet, type, multiplier, new Set([...seen, name]));
        }
      }
    }
  };
  walk(operation.selectionSet, rootType, 1, new Set());
  const readCost = Math.max(1, Math.ceil(requests / 100));
  if (operation.operation !== 'mutation') return readCost;
  const rootFields = operation.selectionSet.selections.filter(
    (selection) => selection.kind === Kind.FIELD,
  ).length;
  return readCost + MUTATION_COST * Math.max(1, rootFields);
}
