import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createTransport } from 'nodemailer';
import type { MailLog, Mailer, OutgoingMail } from './mailer';

/**
 * The embedded default (no SMTP_URL): each message is written as an RFC 5322 .eml file under
 * dataDir/outbox, readable by any mail program, so a fresh install works and shows what it would send.
 * The folder is 0700 and the files 0600: messages hold links that sign people in or reset passwords.
 */
export class FileMailer implements Mailer {
  readonly folder: string;
  private readonly composer = createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'windows',
  });

  constructor(
    dataDir: string,
    private readonly from: string,
    private readonly log: MailLog,
  ) {
    this.folder = path.join(dataDir, 'outbox');
  }

  async send(mail: OutgoingMail): Promise<void> {
    const info = await this.composer.sendMail({
      from: this.from,
      to: mail.to,
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      headers: mail.headers,
    });
    const file = await this.writeDurably(info.message as Buffer);
    this.log.info({ to: mail.to, subject: mail.subject, file }, 'mail written to the outbox folder');
  }

  /** Temp file, fsync, rename, fsync of the folder: a crash leaves the whole message or none. */
  private async writeDurably(message: Buffer): Promise<string> {
    await fs.promises.mkdir(this.folder, { recursive: true, mode: 0o700 });
    await fs.promises.chmod(this.folder, 0o700);
    const name = `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(6).toString('hex')}.eml`;
    const file = path.join(this.folder, name);
    const temporary = path.join(this.folder, `.${name}.tmp`);
    const handle = await fs.promises.open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(message);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.promises.rename(temporary, file);
    const folder = await fs.promises.open(this.folder, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
    return file;
  }
}
