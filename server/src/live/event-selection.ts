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
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
} from 'graphql';

/**
 * The first list a subscription selects beyond its event's own job (for example `ticket { jobs }`), as a
 * path, or null when there is none.
 *
 * An event is one job, and each event runs the document once per subscriber: a document that lists a
 * ticket's whole history, or its similar tickets, multiplies one comment into as many reads of the
 * history as there are subscribers, and a single user with 200 such subscriptions held the event loop
 * for over a second per comment. The job's own lists (its changes, its files) are small and stay allowed;
 * the rest is read with a query when the event says something changed.
 */
export function listBeyondTheEvent(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
): string | null {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const root = schema.getSubscriptionType();
  if (!root) return null;

  /** depth 0: the root fields; 1: the event's job's own fields; deeper: what the job leads to. */
  function walk(
    selectionSet: SelectionSetNode,
    parent: GraphQLCompositeType,
    depth: number,
    path: string[],
    seen: ReadonlySet<string>,
  ): string | null {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (!fragment || seen.has(fragment.name.value)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        const found =
          type && isCompositeType(type)
            ? walk(fragment.selectionSet, type, depth, path, new Set([...seen, fragment.name.value]))
            : null;
        if (found) return found;
        continue;
      }
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        const found =
          type && isCompositeType(type) ? walk(selection.selectionSet, type, depth, path, seen) : null;
        if (found) return found;
        continue;
      }
      if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
      const field = parent.getFields()[selection.name.value];
      if (!field) continue;
      const fieldPath = [...path, selection.alias?.value ?? selection.name.value];
      const type = getNullableType(field.type);
      const named = getNamedType(field.type);
      const isList = isListType(type) || named.name.endsWith('Connection');
      if (isList && depth >= 2) return fieldPath.join('.');
      if (selection.selectionSet && isCompositeType(named)) {
        const found = walk(selection.selectionSet, named, depth + 1, fieldPath, seen);
        if (found) return found;
      }
    }
    return null;
  }

  return walk(operation.selectionSet, root, 0, [], new Set());
}
