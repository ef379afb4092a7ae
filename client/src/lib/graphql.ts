import { initGraphQLTada } from 'gql.tada';
import type { introspection } from '../graphql-env.d.ts';

// Every document of the client goes through this tag, so svelte-check fails when the schema no longer fits.
// Fragment masking is off: fragments here only share field lists, components read the data directly.
export const graphql = initGraphQLTada<{
  disableMasking: true;
  introspection: introspection;
  scalars: { DateTimeISO: string; ID: string };
}>();

export type { FragmentOf, ResultOf, VariablesOf } from 'gql.tada';
