import { Client } from 'pg';

export interface ListenerLog {
  warn(details: Record<string, unknown>, message: string): void;
  info(details: Record<string, unknown>, message: string): void;
}

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * One connection of its own per instance, outside the pool, that LISTENs to channels and calls each
 * channel's callback for every notification on it; if it drops (PostgreSQL restarted, network), it
 * reconnects with a growing pause and calls every callback once connected again, so what was committed
 * meanwhile is read.
 */
export class PostgresListener {
  private client: Client | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private stopped = false;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly channels: Readonly<Record<string, () => void>>,
    private readonly log: ListenerLog,
    /** Told when listening begins (true) and when the connection is lost or closed (false). */
    private readonly onListening: (listening: boolean) => void = () => {},
  ) {}

  /** Resolves once listening (or once the first attempt failed: it goes on trying in the background). */
  start(): Promise<void> {
    return this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.onListening(false);
    clearTimeout(this.retryTimer);
    await this.connecting?.catch(() => undefined);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private connect(): Promise<void> {
    this.connecting = (async () => {
      const client = new Client({
        connectionString: this.url,
        application_name: 'simple-ticketing-live',
        keepAlive: true,
        keepAliveInitialDelayMillis: 10_000,
      });
      let dropped = false;
      const drop = (error?: Error) => {
        if (dropped) return;
        dropped = true;
        if (this.client === client) this.client = undefined;
        this.onListening(false);
        client.removeAllListeners('notification');
        client.end().catch(() => undefined);
        if (this.stopped) return;
        this.log.warn({ err: error, retryInMs: this.retryMs }, 'live updates lost their PostgreSQL listener');
        this.scheduleRetry();
      };
      client.on('error', drop);
      client.on('end', () => drop());
      client.on('notification', (message) => this.channels[message.channel]?.());
      try {
        await client.connect();
        for (const channel of Object.keys(this.channels)) await client.query(`LISTEN ${channel}`);
      } catch (error) {
        drop(error as Error);
        return;
      }
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      this.client = client;
      this.onListening(true);
      if (this.retryMs !== FIRST_RETRY_MS) this.log.info({}, 'live updates listen to PostgreSQL again');
      this.retryMs = FIRST_RETRY_MS;
      // Whatever was committed while not listening.
      for (const onNotify of Object.values(this.channels)) onNotify();
    })();
    return this.connecting;
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => void this.connect(), wait).unref();
  }
}
