import { createTransport } from 'nodemailer';
import { safeErrorText } from './error-text';
import { MailServerUnreachable, type Mailer, type OutgoingMail } from './mailer';

/** An SMTP outage must fail a try within seconds, not hold the worker for nodemailer's minutes. */
export const SMTP_TIMEOUTS = {
  dnsTimeout: 10_000,
  connectionTimeout: 15_000,
  greetingTimeout: 10_000,
  socketTimeout: 20_000,
} as const;

/** Sends over SMTP: smtp:// (STARTTLS when the server offers it) or smtps:// (TLS from the start). */
export class SmtpMailer implements Mailer {
  private readonly transport: ReturnType<typeof createTransport>;
  private readonly secrets: string[];

  constructor(smtpUrl: string, from: string) {
    this.transport = createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS }, { from });
    this.secrets = credentialsOf(smtpUrl);
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.transport.sendMail({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        headers: mail.headers,
      });
    } catch (error) {
      // No cause: nodemailer's error carries the SMTP command, which for AUTH holds the credentials.
      const text = safeErrorText(error, this.secrets);
      throw isConnectionFailure(error) ? new MailServerUnreachable(text) : new Error(text);
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** nodemailer's codes for a server that cannot be reached or does not answer (not a refused message). */
const CONNECTION_CODES = new Set(['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ETLS']);
const CONNECTION_ERRNOS =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|Greeting never received/;

/** Whether the failure is the server's, for every message (down, unreachable, silent), not this one's. */
export function isConnectionFailure(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return CONNECTION_CODES.has(code ?? '') || CONNECTION_ERRNOS.test(String(message ?? ''));
}

/** The user name and password of an SMTP URL, as written and decoded, and as AUTH PLAIN sends them. */
function credentialsOf(smtpUrl: string): string[] {
  const url = new URL(smtpUrl);
  const parts = [url.username, url.password].filter(Boolean);
  const decoded = parts.map((part) => decodeURIComponent(part));
  const plain = Buffer.from(`\0${decoded[0] ?? ''}\0${decoded[1] ?? ''}`).toString('base64');
  return [...new Set([...parts, ...decoded, plain])].filter((secret) => secret.length >= 3);
}
