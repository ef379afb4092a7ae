import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One POST as the receiver got it: the raw body, byte for byte, and the headers (lowercased). */
export interface ReceivedCall {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** How the receiver answers one call; by default 200 "ok". */
export type Answer = (response: http.ServerResponse) => void;

export const status =
  (code: number, headers: Record<string, string> = {}, body = ''): Answer =>
  (response) => {
    response.writeHead(code, headers);
    response.end(body);
  };

/** Never answers: the sender's timeout is what ends the call. */
export const silence: Answer = () => undefined;

/** A real HTTP server on loopback that records every call and answers as told, per path. */
export class WebhookReceiver {
  readonly calls: ReceivedCall[] = [];
  private readonly answers = new Map<string, Answer[]>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = http.createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (request, response) => receiver.receive(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${this.port}${path}`;
  }

  /** The next calls to path get these answers, in turn; then 200 again. */
  answerNext(path: string, ...answers: Answer[]): void {
    this.answers.set(path, [...(this.answers.get(path) ?? []), ...answers]);
  }

  callsTo(path: string): ReceivedCall[] {
    return this.calls.filter((call) => call.path === path);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(request: http.IncomingMessage, response: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      this.calls.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      const answer = this.answers.get(path)?.shift() ?? status(200, {}, 'ok');
      answer(response);
    });
  }
}
