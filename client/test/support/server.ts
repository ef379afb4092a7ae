import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type StartOptions } from '../../../server/src/app';
import type { ConfigOverrides } from '../../../server/src/config';

export const clientDist = path.resolve(__dirname, '..', '..', 'dist');

export interface TestServer {
  url: string;
  /** The service itself, for specs that drive its background work (e.g. `running.delivery.runOnce()`). */
  running: RunningServer;
  close(): Promise<void>;
  /**
   * Stops the service and starts it again on the same port and data, as a deployment or a crash does;
   * `whileDown` runs in between (its sockets are closed, its requests refused).
   */
  restart(whileDown?: () => Promise<void>): Promise<void>;
}

/**
 * The real service on a random port, a fresh data directory, and the built client. One per spec file.
 * `options` swaps the clock or the mailer, as the server's own tests do, and `config` changes settings.
 */
export async function startTestServer({
  config,
  ...options
}: StartOptions & { config?: ConfigOverrides } = {}): Promise<TestServer> {
  if (!existsSync(path.join(clientDist, 'index.html'))) {
    throw new Error(
      `The client is not built (${clientDist}/index.html is missing). Run "npm run build:client" before the browser tests.`,
    );
  }
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'st-browser-'));
  const start = (port: number) =>
    startServer(
      {
        port,
        host: '127.0.0.1',
        dataDir,
        clientDir: clientDist,
        logLevel: 'silent',
        ...config,
      },
      options,
    );
  let app = await start(0);
  const port = Number(new URL(app.url).port);
  return {
    url: app.url,
    get running() {
      return app;
    },
    close: async () => {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
    restart: async (whileDown) => {
      await app.close();
      await whileDown?.();
      app = await start(port);
    },
  };
}

interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: Record<string, unknown> }[];
}

/** Calls the API directly, to seed data faster than through the UI. */
export async function api<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  if (body.errors?.length) throw new Error(`GraphQL error: ${JSON.stringify(body.errors)}`);
  return body.data as T;
}

export interface Account {
  id: string;
  username: string;
  password: string;
  token: string;
}

export const PASSWORD = 'Correct-Horse-Battery-42';

export async function registerAccount(url: string, username: string): Promise<Account> {
  const data = await api<{ register: { token: string; user: { id: string } } }>(
    url,
    `mutation ($input: RegisterInput!) { register(input: $input) { token user { id } } }`,
    { input: { username, email: `${username}@example.com`, password: PASSWORD } },
  );
  return { id: data.register.user.id, username, password: PASSWORD, token: data.register.token };
}

export async function setRole(url: string, admin: Account, user: Account, role: 'USER' | 'AGENT' | 'ADMIN') {
  await api(
    url,
    `mutation ($id: ID!, $role: Role!) { setUserRole(userId: $id, role: $role) { id } }`,
    { id: user.id, role },
    admin.token,
  );
}

export async function createProject(
  url: string,
  admin: Account,
  name: string,
  description = '',
): Promise<string> {
  const data = await api<{ createProject: { id: string } }>(
    url,
    `mutation ($input: CreateProjectInput!) { createProject(input: $input) { id } }`,
    { input: { name, description } },
    admin.token,
  );
  return data.createProject.id;
}

export async function createTicket(
  url: string,
  author: Account,
  input: { projectId: string; title: string; description: string; category?: string; priority?: string },
): Promise<string> {
  const data = await api<{ createTicket: { id: string } }>(
    url,
    `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
    { input },
    author.token,
  );
  return data.createTicket.id;
}
