import net from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One message as the SMTP server received it. */
export interface CaughtMail {
  /** The envelope's recipients (RCPT TO), lower-cased. */
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  /** Every header as sent (names lower-cased), e.g. headers['list-unsubscribe']. */
  headers: Record<string, string>;
  raw: string;
}

export interface MailCatcherOptions {
  /** When set, the server advertises AUTH and accepts only these credentials. */
  auth?: { user: string; pass: string };
  /** How long each message waits before the server accepts it: a slow mail server. */
  acceptDelayMs?: number;
}

async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A real SMTP server on a loopback port for the tests: collects what it receives, and can be stopped
 * and started again on the same port to play an outage and the recovery.
 */
export class MailCatcher {
  readonly received: CaughtMail[] = [];
  private server: SMTPServer | undefined;
  private waiters: { predicate: (mail: CaughtMail) => boolean; resolve: (mail: CaughtMail) => void }[] = [];

  private constructor(
    readonly port: number,
    private readonly options: MailCatcherOptions,
  ) {}

  static async start(options: MailCatcherOptions = {}): Promise<MailCatcher> {
    const catcher = new MailCatcher(await freeLoopbackPort(), options);
    await catcher.start();
    return catcher;
  }

  /** What to give the service as SMTP_URL (with the credentials when auth is on). */
  get url(): string {
    const { auth } = this.options;
    const credentials = auth ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@` : '';
    return `smtp://${credentials}127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens (again) on the catcher's port. */
  async start(): Promise<void> {
    if (this.server) return;
    const { auth } = this.options;
    const server = new SMTPServer({
      secure: false,
      // Plain text on loopback: no certificate to make, and AUTH is still exercised.
      disabledCommands: auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
      allowInsecureAuth: true,
      authOptional: !auth,
      logger: false,
      closeTimeout: 500,
      onAuth: (session, _connection, callback) => {
        if (auth && session.username === auth.user && session.password === auth.pass) {
          callback(null, { user: session.username });
        } else {
          callback(new Error('Invalid username or password'));
        }
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          const to = session.envelope.rcptTo.map((address) => address.address.toLowerCase());
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          simpleParser(raw).then(
            (parsed) => {
              const headers: Record<string, string> = {};
              for (const { key, line } of parsed.headerLines) {
                headers[key] = line.slice(line.indexOf(':') + 1).trim();
              }
              this.receive({
                to,
                from,
                subject: parsed.subject ?? '',
                text: parsed.text ?? '',
                html: typeof parsed.html === 'string' ? parsed.html : '',
                headers,
                raw,
              });
              setTimeout(callback, this.options.acceptDelayMs ?? 0);
            },
            (error: Error) => callback(error),
          );
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => undefined);
    this.server = server;
  }

  /** Stops listening: connections are refused until start() (an SMTP outage). */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The first message (already received or to come) that matches, or a failure after timeoutMs. */
  waitFor(predicate: (mail: CaughtMail) => boolean, timeoutMs = 5000): Promise<CaughtMail> {
    const found = this.received.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = {
        predicate,
        resolve: (mail: CaughtMail) => {
          clearTimeout(timer);
          resolve(mail);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `no matching message within ${timeoutMs} ms; received: ${JSON.stringify(
              this.received.map((m) => ({ to: m.to, subject: m.subject })),
            )}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Messages sent to an address. */
  to(address: string): CaughtMail[] {
    return this.received.filter((mail) => mail.to.includes(address.toLowerCase()));
  }

  clear(): void {
    this.received.length = 0;
  }

  private receive(mail: CaughtMail): void {
    this.received.push(mail);
    const matched = this.waiters.filter((waiter) => waiter.predicate(mail));
    this.waiters = this.waiters.filter((waiter) => !matched.includes(waiter));
    for (const waiter of matched) waiter.resolve(mail);
  }
}
