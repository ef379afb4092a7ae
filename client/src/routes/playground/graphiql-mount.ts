// Loaded only on /playground: React, GraphiQL and Monaco are heavy and nobody else needs them.
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';

const defaultQuery = `# Signed in as you: the session cookie goes with each request.
query Me {
  me {
    id
    username
    role
  }
}
`;

/** Renders GraphiQL into the element; returns the function that removes it. */
export function mountGraphiQL(element: HTMLElement): () => void {
  // Same-origin fetch sends the httpOnly session cookie, so the playground acts as the signed-in admin.
  const fetcher = createGraphiQLFetcher({ url: '/graphql' });
  const root = createRoot(element);
  root.render(createElement(GraphiQL, { fetcher, defaultQuery, shouldPersistHeaders: false }));
  return () => root.unmount();
}
