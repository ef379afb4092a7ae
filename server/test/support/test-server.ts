import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import { startServer, type RunningServer } from '../../src/app';
import { isBackgroundWork } from '../../src/background/loop';
import type { Clock } from '../../src/clock';
import type { ConfigOverrides } from '../../src/config';
import type { Mailer } from '../../src/outbox/mailer';
import { type GraphQLResponse, dataOf, postGraphQL } from './graphql-client';
import { CREATE_PROJECT, LOGIN, REGISTER, SET_ROLE } from './operations';
import { testDatabaseFor } from './postgres-project';
import { rawQuery } from '../../src/database/sql';

export type { GraphQLResponse } from './graphql-client';

/** A raw HTTP answer, for requests that are not plain GraphQL POSTs (CSRF, batching, bodies, GET). */
export interface RawResponse {
  status: number;
  text: string;
  json: any;
  headers: Headers;
}

/** One line of the server's pino log, e.g. the per-request `graphql` line with its `sql` count. */
export type LogLine = Record<string, any>;

export interface TestUser {
  id: string;
  username: string;
  email: string;
  password: string;
  token: string;
}

/**
 * A real server on a random port with a fresh database: SQLite in its data folder, or in the
 * `integration (postgres)` project a fresh PostgreSQL database (one per data folder). One per test file.
 */
export class TestApi {
  private counter = 0;
  /** Every SQL statement the server has sent since start, whatever request it belonged to. */
  private statements = 0;

  private constructor(
    readonly server: RunningServer,
    readonly dataDir: string,
    /** The server's log lines, when started with captureLogs. */
    readonly logs: LogLine[],
    /** The server's DATABASE_URL, for a command run on its database: empty on SQLite (the file in dataDir). */
    readonly databaseUrl: string,
    /** The server's JWT_SECRET when one is set (PostgreSQL); empty when generated into dataDir. */
    private readonly configuredSecret: string,
    /** dataDir was made for this server (removed by stop()), not given by the test (the test's to remove). */
    private readonly ownsDataDir: boolean,
  ) {}

  static async start(
    overrides: ConfigOverrides = {},
    options: {
      captureLogs?: boolean;
      clock?: Clock;
      mailer?: Mailer;
      background?: boolean;
      compileFromFirstRun?: boolean;
    } = {},
  ): Promise<TestApi> {
    const ownsDataDir = overrides.dataDir === undefined;
    const dataDir = overrides.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-test-'));
    // In the `integration (postgres)` project, the data folder's own PostgreSQL database and secret.
    const database = overrides.databaseUrl === undefined ? await testDatabaseFor(dataDir) : undefined;
    const databaseUrl = overrides.databaseUrl ?? database?.databaseUrl ?? '';
    const jwtSecret = overrides.jwtSecret ?? database?.jwtSecret ?? '';
    const logs: LogLine[] = [];
    const server = await startServer(
      {
        port: 0,
        host: '127.0.0.1',
        dataDir,
        databaseUrl,
        jwtSecret,
        logLevel: options.captureLogs ? 'info' : 'silent',
        nodeEnv: 'test',
        registrationsPerHour: 10_000,
        // Bursts of parallel requests test races, not capacity: nothing is shed (overload.int.spec.ts sheds).
        maxQueuedRequests: 100_000,
        maxQueueWaitMs: 60_000,
        clientDir: path.join(dataDir, 'no-client'),
        ...overrides,
      },
      {
        clock: options.clock,
        mailer: options.mailer,
        background: options.background,
        // Every request of the suite through compiled execution (compiled-execution.int.spec.ts: the default).
        compileFromFirstRun: options.compileFromFirstRun ?? true,
        ...(options.captureLogs
          ? { logDestination: { write: (line: string) => void logs.push(JSON.parse(line)) } }
          : {}),
      },
    );
    const api = new TestApi(server, dataDir, logs, databaseUrl, jwtSecret, ownsDataDir);
    api.countStatements();
    return api;
  }

  /**
   * Wraps the server's TypeORM logger (which sees every statement) to count SQL across all requests;
   * the background work (outbox delivery, event consumers) is not a request and is not counted.
   */
  private countStatements(): void {
    const logger = this.server.services.database.dataSource.logger;
    for (const method of ['logQuery', 'logQueryError'] as const) {
      const original = logger[method].bind(logger) as (...args: unknown[]) => void;
      (logger as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
        if (!isBackgroundWork()) this.statements += 1;
        original(...args);
      };
    }
  }

  /** Runs work (requests to this server) and returns how many SQL statements the server sent meanwhile. */
  async sqlDuring(work: () => Promise<unknown>): Promise<number> {
    const before = this.statements;
    await work();
    return this.statements - before;
  }

  /** The server's per-request log lines (`msg: 'graphql'`), newest last; needs captureLogs. */
  requestLogs(): LogLine[] {
    return this.logs.filter((line) => line.msg === 'graphql');
  }

  /** The secret the server signs tokens with (given, or generated in the data folder). */
  /** One raw statement on the server's database, `?` placeholders on either kind (tests that look underneath). */
  sql<T = any>(text: string, parameters: readonly unknown[] = []): Promise<T> {
    return rawQuery<T>(this.server.services.database.manager, text, parameters);
  }

  get jwtSecret(): string {
    if (this.configuredSecret) return this.configuredSecret;
    return fs.readFileSync(path.join(this.dataDir, 'jwt-secret'), 'utf8').trim();
  }

  /** A token signed with the server's secret (or another one), for forged and expired token tests. */
  signToken(claims: Record<string, unknown>, options: jwt.SignOptions = {}, secret = this.jwtSecret): string {
    return jwt.sign(claims, secret, { algorithm: 'HS256', ...options });
  }

  /** Any HTTP request to the server, answered raw. */
  async http(
    pathAndQuery: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      redirect?: 'follow' | 'manual' | 'error';
    } = {},
  ): Promise<RawResponse> {
    const response = await fetch(`${this.url}${pathAndQuery}`, init);
    const text = await response.text();
    let json: any;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON (e.g. an HTML 404): the caller checks text instead.
    }
    return { status: response.status, text, json, headers: response.headers };
  }

  get url(): string {
    return this.server.url;
  }

  /** The environment of a command run on this server's database: DATA_DIR, and on PostgreSQL its URL and secret. */
  get databaseEnv(): Record<string, string> {
    return {
      DATA_DIR: this.dataDir,
      ...(this.databaseUrl ? { DATABASE_URL: this.databaseUrl, JWT_SECRET: this.configuredSecret } : {}),
    };
  }

  async stop(): Promise<void> {
    await this.server.close();
    if (this.ownsDataDir) fs.rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** POSTs a GraphQL operation as a client would. */
  async gql<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    options: { token?: string; headers?: Record<string, string> } = {},
  ): Promise<GraphQLResponse<T>> {
    return postGraphQL<T>(this.url, query, variables, options);
  }

  /** Like gql, but fails the test on any error. */
  async ok<T = Record<string, any>>(
    query: string,
    variables: Record<string, unknown> = {},
    token?: string,
  ): Promise<T> {
    return dataOf(await this.gql<T>(query, variables, { token }));
  }

  /** The first account (ADMIN on an empty database) and an AGENT: the staff most files start with. */
  async registerAdminAndAgent(): Promise<{ admin: TestUser; agent: TestUser }> {
    const admin = await this.register('admin');
    const agent = await this.register('agent');
    await this.setRole(admin, agent, 'AGENT');
    return { admin, agent };
  }

  async register(prefix = 'user'): Promise<TestUser> {
    this.counter += 1;
    const username = `${prefix}${this.counter}`;
    const email = `${username}@example.com`;
    const password = `correct horse ${username} battery`;
    const data = await this.ok<{ register: { token: string; user: { id: string } } }>(REGISTER, {
      input: { username, email, password },
    });
    return { id: data.register.user.id, username, email, password, token: data.register.token };
  }

  async login(login: string, password: string): Promise<GraphQLResponse<{ login: { token: string } }>> {
    return this.gql(LOGIN, { input: { login, password } });
  }

  async setRole(admin: TestUser, user: TestUser, role: 'USER' | 'AGENT' | 'ADMIN'): Promise<void> {
    await this.ok(SET_ROLE, { id: user.id, role }, admin.token);
  }

  async createProject(admin: TestUser, name = `Project ${++this.counter}`): Promise<string> {
    const data = await this.ok<{ createProject: { id: string } }>(
      CREATE_PROJECT,
      { input: { name, description: `About ${name}` } },
      admin.token,
    );
    return data.createProject.id;
  }

  async createTicket(
    user: TestUser,
    projectId: string,
    input: Record<string, unknown> = {},
  ): Promise<string> {
    const data = await this.ok<{ createTicket: { id: string } }>(
      `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
      {
        input: {
          projectId,
          title: 'Login button does nothing',
          description: 'Clicking it has no effect.',
          ...input,
        },
      },
      user.token,
    );
    return data.createTicket.id;
  }

  /** The number of rows of each table, to prove that a refused request changed nothing. */
  async snapshot(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const table of [
      'user',
      'project',
      'ticket',
      'job',
      'event',
      'outbox_message',
      'user_token',
      'revoked_token',
      'api_token',
    ]) {
      const [row] = await this.server.services.database.dataSource.query(
        `SELECT COUNT(*) AS n FROM "${table}"`,
      );
      counts[table] = Number(row.n);
    }
    const [latest] = await this.server.services.database.dataSource.query(
      `SELECT COALESCE(MAX("updatedAt"), 0) AS u FROM "ticket"`,
    );
    counts.ticketUpdatedAt = Number(latest.u);
    return counts;
  }
}

export function errorCodes(result: GraphQLResponse): string[] {
  return (result.errors ?? []).map((error) => String(error.extensions?.code));
}
