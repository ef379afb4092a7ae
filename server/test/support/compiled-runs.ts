import type { RawResponse, TestApi } from './test-server';

/** A GraphQL request body, answered raw (status and text as sent), as the given user or anonymously. */
export async function postRaw(
  api: TestApi,
  body: Record<string, unknown>,
  token?: string,
): Promise<RawResponse> {
  return api.http('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
}

export interface TwoRuns {
  first: RawResponse;
  second: RawResponse;
  /** Whether each run went through compiled code (compiled-execution.ts) rather than graphql-js. */
  firstCompiled: boolean;
  secondCompiled: boolean;
}

/**
 * The same request twice to a server with the production setting (a document compiled from its second
 * run): on a document it has not seen, the first answer is graphql-js's and the second compiled code's.
 */
export async function twoRuns(api: TestApi, body: Record<string, unknown>, token?: string): Promise<TwoRuns> {
  const runs = api.server.operations.runs;
  const before = runs.compiled;
  const first = await postRaw(api, body, token);
  const afterFirst = runs.compiled;
  const second = await postRaw(api, body, token);
  return { first, second, firstCompiled: afterFirst > before, secondCompiled: runs.compiled > afterFirst };
}
