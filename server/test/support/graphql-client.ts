/** A GraphQL POST as a client sends it, shared by the in-process TestApi and the built ChildServer. */

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: { message: string; extensions?: Record<string, any>; path?: string[] }[];
  /** The response's own extensions (e.g. `cost` for an API token's request). */
  extensions?: Record<string, any>;
  headers: Headers;
}

export interface GraphQLRequestOptions {
  token?: string;
  headers?: Record<string, string>;
}

/** POSTs one operation to `${baseUrl}/graphql`; a non-JSON answer fails with its status and start. */
export async function postGraphQL<T = Record<string, any>>(
  baseUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: GraphQLRequestOptions = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: { data?: T; errors?: GraphQLResponse['errors']; extensions?: Record<string, any> };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 200)}`);
  }
  return {
    status: response.status,
    data: body.data,
    errors: body.errors,
    extensions: body.extensions,
    headers: response.headers,
  };
}

/** The data of an answer that must have no errors (a test's set-up step). */
export function dataOf<T>(result: GraphQLResponse<T>): T {
  if (result.errors?.length) throw new Error(`unexpected errors: ${JSON.stringify(result.errors)}`);
  return result.data as T;
}
