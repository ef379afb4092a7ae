import type { Config } from '../config';
import { FileMailer } from './file-mailer';
import { SmtpMailer } from './smtp-mailer';

/** One email as the renderers make it; the From is MAIL_FROM, set by the mailer. */
export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058). */
  headers?: Record<string, string>;
}

/**
 * Hands one message to whatever delivers it. send() resolves once the message was accepted (by the
 * SMTP server, or written to disk) and rejects with a message safe to store and show to an admin.
 */
export interface Mailer {
  send(mail: OutgoingMail): Promise<void>;
  /** Releases connections; called once the delivery worker has stopped. */
  close?(): Promise<void>;
}

/**
 * The mail server could not be reached, or did not answer in time: every message would fail the same
 * way now, so the worker tries no more of them until the next run.
 */
export class MailServerUnreachable extends Error {}

/** Where mailers log: the recipient and subject of what they write, never credentials. */
export interface MailLog {
  info(details: Record<string, unknown>, message: string): void;
}

const noLog: MailLog = { info: () => undefined };

/** SMTP when SMTP_URL is set; otherwise the embedded default, .eml files under DATA_DIR/outbox. */
export function createMailer(
  config: Pick<Config, 'smtpUrl' | 'mailFrom' | 'dataDir'>,
  log: MailLog = noLog,
): Mailer {
  return config.smtpUrl
    ? new SmtpMailer(config.smtpUrl, config.mailFrom)
    : new FileMailer(config.dataDir, config.mailFrom, log);
}
