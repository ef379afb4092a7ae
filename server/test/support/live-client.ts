import { type Client, createClient } from 'graphql-ws';
import WebSocket from 'ws';

/** How a test client authenticates: a Bearer token in connection_init, or the session cookie (and an Origin). */
export interface LiveClientOptions {
  token?: string;
  cookie?: string;
  origin?: string;
  /** connection_init's payload as given (overrides token). */
  connectionParams?: Record<string, unknown>;
}

export interface Closed {
  code: number;
  reason: string;
}

/** What one subscription received, in order: results (data or errors), then maybe an error or completion. */
export class LiveSubscription<T = any> {
  readonly results: { data?: T; errors?: any[] }[] = [];
  error: unknown;
  completed = false;
  readonly stop: () => void;

  constructor(client: Client, query: string, variables: Record<string, unknown>) {
    this.stop = client.subscribe<T>(
      { query, variables },
      {
        next: (result) => void this.results.push(result as { data?: T; errors?: any[] }),
        error: (error) => (this.error = error),
        complete: () => (this.completed = true),
      },
    );
  }

  /** The data of each result, in order. */
  get data(): T[] {
    return this.results.flatMap((result) => (result.data ? [result.data] : []));
  }

  /** Waits until at least n results arrived. */
  async received(n: number, timeoutMs = 5000): Promise<T[]> {
    await waitFor(() => this.results.length >= n, timeoutMs, `${n} results (got ${this.results.length})`);
    return this.data;
  }

  /** Waits for the end: an error message, a completion, or a result with errors. */
  async ended(timeoutMs = 5000): Promise<void> {
    await waitFor(() => this.completed || this.error !== undefined, timeoutMs, 'the subscription to end');
  }
}

export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * A graphql-ws client over a real WebSocket to a test server, as an integration would use it (ws as the
 * implementation, no retry): collects each subscription's results and how the socket was closed.
 */
export class LiveClient {
  readonly client: Client;
  closed: Closed | undefined;
  private connectedFlag = false;

  constructor(serverUrl: string, options: LiveClientOptions = {}) {
    const headers: Record<string, string> = {};
    if (options.cookie) headers.cookie = options.cookie;
    if (options.origin) headers.origin = options.origin;
    const Impl = class extends WebSocket {
      constructor(address: string, protocols?: string | string[]) {
        super(address, protocols, { headers });
      }
    };
    this.client = createClient({
      url: `${serverUrl.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: Impl,
      lazy: false,
      retryAttempts: 0,
      connectionParams:
        options.connectionParams ??
        (options.token ? { authorization: `Bearer ${options.token}` } : undefined),
      on: {
        connected: () => (this.connectedFlag = true),
        closed: (event) => {
          const { code, reason } = event as { code: number; reason: string };
          this.closed = { code, reason: String(reason) };
        },
      },
      // A refused connection is the test's subject, not a failure of the client.
      onNonLazyError: () => undefined,
    });
  }

  static async open(serverUrl: string, options: LiveClientOptions = {}): Promise<LiveClient> {
    const client = new LiveClient(serverUrl, options);
    await waitFor(() => client.connectedFlag || client.closed !== undefined, 5000, 'connection_ack');
    return client;
  }

  get connected(): boolean {
    return this.connectedFlag && this.closed === undefined;
  }

  /** Waits until the server closes the socket; resolves with the code and reason. */
  async closedBy(timeoutMs = 5000): Promise<Closed> {
    await waitFor(() => this.closed !== undefined, timeoutMs, 'the socket to close');
    return this.closed!;
  }

  subscribe<T = any>(query: string, variables: Record<string, unknown> = {}): LiveSubscription<T> {
    return new LiveSubscription<T>(this.client, query, variables);
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}
