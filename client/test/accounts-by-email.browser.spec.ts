import { ManualClock } from '../../server/src/clock';
import { ACTIVITY_WINDOW_MS } from '../../server/src/notifications/email-notifier';
import type { Mailer } from '../../server/src/outbox/mailer';
import { SmtpMailer } from '../../server/src/outbox/smtp-mailer';
import { MailCatcher, type CaughtMail } from '../../server/test/support/mail-catcher';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const NEW_PASSWORD = 'Maple-Lantern-Orbit-77';

describeWithBrowser('accounts by email: the pages an email links to, and Settings', () => {
  // Mail goes over real SMTP to a catcher on a loopback port, started before the server.
  let mail: MailCatcher;
  let smtp: SmtpMailer;
  const mailer: Mailer = { send: (message) => smtp.send(message), close: () => smtp.close() };
  const clock = new ManualClock();
  beforeAll(async () => {
    mail = await MailCatcher.start();
    smtp = new SmtpMailer(mail.url, 'Simple Ticketing <no-reply@localhost>');
  });
  afterAll(async () => {
    await mail.stop();
  });

  const accounts = {} as Record<'root' | 'rita' | 'vera' | 'una' | 'ulla' | 'eve', Account>;
  let unsubscribePath: string;

  const suite = useBrowserSuite(
    async (url, server) => {
      for (const name of ['root', 'rita', 'vera', 'una', 'ulla', 'eve'] as const) {
        accounts[name] = await registerAccount(url, name);
      }
      const ada = await registerAccount(url, 'ada');
      await setRole(url, accounts.root, ada, 'AGENT');
      // Ulla confirms her address, files a ticket and gets the agent's comment: that mail has her unsubscribe link.
      const verifyPath = linkIn(await mailTo('ulla@example.com', 'Confirm your email'), 'verify-email');
      await api(url, `mutation ($token: String!) { verifyEmail(token: $token) { id } }`, {
        token: new URLSearchParams(verifyPath.split('?')[1]).get('token'),
      });
      const projectId = await createProject(url, accounts.root, 'Website');
      const ticketId = await createTicket(url, accounts.ulla, {
        projectId,
        title: 'Blank page',
        description: 'The page is blank.',
      });
      await api(
        url,
        `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
        { id: ticketId, input: { comment: 'Which browser?' } },
        ada.token,
      );
      // The comment's fan-out first (the message is then due when its window closes), then past the window.
      await server.running.eventConsumers.runOnce();
      clock.advance(ACTIVITY_WINDOW_MS + 1000);
      await server.running.delivery.runOnce();
      const activity = await mail.waitFor(
        (m) => m.to.includes('ulla@example.com') && 'list-unsubscribe' in m.headers,
        15_000,
      );
      const unsubscribeUrl = /<(https?:[^>]+\/api\/unsubscribe\/[^>]+)>/.exec(
        activity.headers['list-unsubscribe'],
      )?.[1];
      unsubscribePath = new URL(unsubscribeUrl!).pathname;
    },
    { server: { clock, mailer } },
  );

  /** The first mail to that address whose subject starts so, among those not read yet. */
  const read = new Set<CaughtMail>();
  async function mailTo(address: string, subject: string): Promise<CaughtMail> {
    // 15 s, not the catcher's 5: a loaded machine running other suites delays delivery.
    const found = await mail.waitFor(
      (m) => !read.has(m) && m.to.includes(address) && m.subject.startsWith(subject),
      15_000,
    );
    read.add(found);
    return found;
  }

  /** The path and query of the link to /<page> in a mail (links point to PUBLIC_URL, not the test server). */
  function linkIn(message: CaughtMail, page: 'verify-email' | 'reset-password'): string {
    const link = new RegExp(`https?://[^\\s"<>]+/${page}\\?token=[A-Za-z0-9_-]+`).exec(message.text)?.[0];
    expect(link).toBeDefined();
    const { pathname, search } = new URL(link!);
    return pathname + search;
  }

  /** Signs the shared page in as someone else: the cookie of the previous account goes first. */
  async function logInAs(name: keyof typeof accounts) {
    await suite.page.context().clearCookies();
    await logIn(suite.page, suite.server.url, name, accounts[name].password);
  }

  async function me(account: Account, fields: string): Promise<Record<string, unknown> | null> {
    const data = await api<{ me: Record<string, unknown> | null }>(
      suite.server.url,
      `{ me { ${fields} } }`,
      {},
      account.token,
    );
    return data.me;
  }

  it('forgot password: the login form links to it, the mail holds the link, the new password logs in', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/login`);
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.waitForURL(/\/forgot-password$/);
    await page.getByRole('heading', { name: 'Forgot your password?' }).waitFor();
    await page.getByLabel('Email').fill('rita@example.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await page.getByText('If an account uses this address, we sent a link valid 1 hour').waitFor();
    await screenshots(page, 'forgot-password-sent');

    const resetPath = linkIn(await mailTo('rita@example.com', 'Reset your password'), 'reset-password');
    await page.goto(`${server.url}${resetPath}`);
    await page.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    const password = page.getByLabel('New password');
    // The server's rules are said before the first try, and linked to the input.
    await expect(password.getAttribute('aria-describedby')).resolves.toBe('newPassword-hint');
    await expect(page.locator('#newPassword-hint').textContent()).resolves.toContain('8 to 128 characters');
    await password.fill('password');
    await page.getByRole('button', { name: 'Change password' }).click();
    // Said in words, not with the input's internal name ("newPassword is one of ...").
    await expect(page.locator('#newPassword-error').textContent()).resolves.toBe(
      'This password is too common; choose another one.',
    );
    await password.fill(NEW_PASSWORD);
    await page.getByLabel('Show the password').check();
    await expect(password.getAttribute('type')).resolves.toBe('text');
    await screenshots(page, 'reset-password');
    await page.getByRole('button', { name: 'Change password' }).click();
    // Signed out, there is no other session to speak of.
    await page.getByText('Password changed. You can now sign in with your new password.').waitFor();
    await screenshots(page, 'reset-password-done');

    await page.getByRole('link', { name: 'Log in with your new password' }).click();
    await page.waitForURL(/\/login$/);
    await logIn(page, server.url, 'rita', NEW_PASSWORD);
    await page.getByRole('heading', { name: 'Hello, rita' }).waitFor();
    // The session the account had before the reset is over.
    await expect(me(accounts.rita, 'id')).resolves.toBeNull();

    // A used link says so, and leads to a new one.
    await page.goto(`${server.url}${resetPath}`);
    await page.getByRole('button', { name: 'Change password' }).waitFor();
    await page.getByLabel('New password').fill('Another-Quiet-Harbour-19');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('This link is not valid').waitFor();
    await page.getByRole('link', { name: 'Ask for a new link' }).click();
    await page.waitForURL(/\/forgot-password$/);
  });

  it('verify link, opened signed out: confirms on load; opened again: invalid, with a way to a new one', async () => {
    const { page, problems } = await newPage(suite.browser);
    const verifyPath = linkIn(await mailTo('vera@example.com', 'Confirm your email'), 'verify-email');
    await page.goto(`${suite.server.url}${verifyPath}`);
    await page.getByText('Your email address is confirmed.').waitFor();
    await screenshots(page, 'verify-email');
    await expect(me(accounts.vera, 'emailVerified')).resolves.toEqual({ emailVerified: true });
    await page.getByRole('link', { name: 'Log in' }).last().waitFor();

    await page.goto(`${suite.server.url}${verifyPath}`);
    await page.getByText('This link is not valid').waitFor();
    await page.getByText('Log in to get a new link').waitFor();
    await screenshots(page, 'verify-email-invalid');
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('registering: home asks to confirm the address, can send the link again, and forgets it once confirmed', async () => {
    const { page, server } = suite;
    await page.context().clearCookies();
    await page.goto(`${server.url}/register`);
    await page.getByLabel('Username').fill('nina');
    await page.getByLabel('Email').fill('nina@example.com');
    await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, nina' }).waitFor();
    const banner = page.getByText(
      'Confirm your address to get email about your tickets: we sent a link to nina@example.com.',
    );
    await banner.waitFor();
    await screenshots(page, 'home-unverified');
    await mailTo('nina@example.com', 'Confirm your email');

    await page.getByRole('button', { name: 'Send the link again' }).click();
    await page.getByRole('status').filter({ hasText: 'We sent a new link to nina@example.com.' }).waitFor();
    const latest = await mailTo('nina@example.com', 'Confirm your email');

    await page.goto(`${server.url}${linkIn(latest, 'verify-email')}`);
    await page.getByText('Your email address is confirmed.').waitFor();
    await page.getByRole('link', { name: 'Go to the home page' }).click();
    await page.getByRole('heading', { name: 'Hello, nina' }).waitFor();
    await expect(banner.count()).resolves.toBe(0);
  });

  it('Settings: an unverified address with "Send the link again", its limit, then the link confirms it', async () => {
    const { page, server } = suite;
    await logInAs('una');
    await page.goto(`${server.url}/settings`);
    await page.getByText('Not verified yet').waitFor();
    // Only staff are offered every new ticket.
    await expect(page.getByLabel('Email me every new ticket').count()).resolves.toBe(0);
    await screenshots(page, 'settings-unverified');
    await mailTo('una@example.com', 'Confirm your email');

    const resend = page.getByRole('button', { name: 'Send the link again' });
    await resend.click();
    await page.getByText('We sent a new link to una@example.com.').waitFor();
    let latest = await mailTo('una@example.com', 'Confirm your email');
    for (let more = 0; more < 2; more += 1) {
      await resend.click();
      latest = await mailTo('una@example.com', 'Confirm your email');
    }
    // Three per hour: the fourth is refused, and the wait is said.
    await resend.click();
    await page.getByRole('alert').filter({ hasText: 'Please wait 60 minutes' }).waitFor();

    await page.goto(`${server.url}${linkIn(latest, 'verify-email')}`);
    await page.getByText('Your email address is confirmed.').waitFor();
    await page.getByRole('link', { name: 'Go to the home page' }).waitFor();
    await page.goto(`${server.url}/settings`);
    await page.getByText('Verified', { exact: true }).waitFor();
    await expect(resend.count()).resolves.toBe(0);
  });

  it('unsubscribe: the mail link opens a page that changes nothing until its button is pressed', async () => {
    const { page, problems } = await newPage(suite.browser);
    const { url } = suite.server;
    // What a mail client opens: GET redirects to the client page.
    await page.goto(`${url}${unsubscribePath}`);
    await page.waitForURL(/\/unsubscribe\?token=/);
    await page.getByRole('heading', { name: 'Email notifications' }).waitFor();
    await screenshots(page, 'unsubscribe');
    await expect(me(accounts.ulla, 'notifyByEmail')).resolves.toEqual({ notifyByEmail: true });

    await page.getByRole('button', { name: 'Stop email notifications' }).click();
    await page
      .getByText('You will no longer get email notifications. You can turn them back on in Settings')
      .waitFor();
    await screenshots(page, 'unsubscribe-done');
    await expect(me(accounts.ulla, 'notifyByEmail')).resolves.toEqual({ notifyByEmail: false });

    await page.getByRole('link', { name: 'Open Settings' }).click();
    await page.waitForURL(/\/login\?next=%2Fsettings$/);
    await page.locator('#login').fill('ulla');
    await page.locator('#password').fill(accounts.ulla.password);
    await page.locator('form button[type="submit"]').click();
    await page.waitForURL(/\/settings$/);
    await expect(page.getByLabel('Email me when my tickets change').isChecked()).resolves.toBe(false);

    // A cut link is refused, and says where to turn notifications off instead.
    await page.goto(`${url}/unsubscribe?token=1.cut`);
    await page.getByRole('button', { name: 'Stop email notifications' }).click();
    await page.getByText('This unsubscribe link is not valid').waitFor();
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('Settings: a new email asks for the current password, then says where the link went', async () => {
    const { page, server } = suite;
    await logInAs('eve');
    await page.goto(`${server.url}/settings`);
    await expect(page.locator('#emailCurrentPassword').count()).resolves.toBe(0);
    await page.getByLabel('Email', { exact: true }).fill('eve.new@example.com');
    const current = page.locator('#emailCurrentPassword');
    await current.waitFor();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.locator('#emailCurrentPassword-error').waitFor();
    await current.fill(accounts.eve.password);
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. We sent a link to eve.new@example.com').waitFor();
    await page.getByText('Not verified yet').waitFor();
    await expect(current.count()).resolves.toBe(0);
    await mailTo('eve.new@example.com', 'Confirm your email');
    // eve never verified eve@example.com: it is not told of the change (it was never proven hers).
  });

  it('Settings of staff: "Email me every new ticket", on by default, can be turned off', async () => {
    const { page, server } = suite;
    await logInAs('root');
    await page.goto(`${server.url}/settings`);
    const everyTicket = page.getByLabel('Email me every new ticket');
    await expect(everyTicket.isChecked()).resolves.toBe(true);
    await everyTicket.uncheck();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Your settings are saved.').waitFor();
    await expect(me(accounts.root, 'notifyNewTickets')).resolves.toEqual({ notifyNewTickets: false });
    await page.reload();
    await expect(page.getByLabel('Email me every new ticket').isChecked()).resolves.toBe(false);
    await expect(page.getByLabel('Email me when my tickets change').isChecked()).resolves.toBe(true);
  });
});
