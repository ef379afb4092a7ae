import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn, newPage } from './support/browser';
import { createProject, createTicket, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const APP = 'Simple Ticketing';

describeWithBrowser('Page titles: every route names its page in the tab, in the page language', () => {
  let admin: Account;
  let ann: Account;
  let ticketId: string;

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    ann = await registerAccount(url, 'ann');
    const projectId = await createProject(url, admin, 'Website');
    ticketId = await createTicket(url, ann, {
      projectId,
      title: 'Search box ignores accents',
      description: 'Details.',
    });
  });

  async function titleOf(page: Page, path: string): Promise<string> {
    await page.goto(`${suite.server.url}${path}`);
    await page.locator('main h1').waitFor();
    return page.title();
  }

  it('names every signed-out page', async () => {
    const { page } = suite;
    const expected: [string, string][] = [
      ['/login', 'Log in'],
      ['/register', 'Create an account'],
      ['/forgot-password', 'Forgotten password'],
      ['/reset-password?token=x', 'New password'],
      ['/verify-email?token=x', 'Confirm your email'],
      ['/unsubscribe?token=1.x', 'Unsubscribe'],
      ['/no/such/page', 'Page not found'],
    ];
    for (const [path, name] of expected)
      expect([path, await titleOf(page, path)]).toEqual([path, `${name} · ${APP}`]);
  });

  it('names every page of an admin, follows client-side navigation and the language', async () => {
    const { page } = suite;
    await logIn(page, suite.server.url, admin.username, admin.password);
    const expected: [string, string][] = [
      ['/', 'Home'],
      ['/tickets', 'Tickets'],
      ['/tickets/new', 'New ticket'],
      ['/settings', 'Settings'],
      ['/admin/projects', 'Projects'],
      ['/admin/users', 'Users'],
      ['/admin/stats', 'Statistics'],
      ['/admin/outbox', 'Outbox'],
      ['/admin/webhooks', 'Webhooks'],
      ['/admin/data', 'Data'],
      ['/playground', 'GraphQL playground'],
      ['/tickets/999999', 'Ticket #999999'],
      ['/nowhere', 'Page not found'],
    ];
    for (const [path, name] of expected)
      expect([path, await titleOf(page, path)]).toEqual([path, `${name} · ${APP}`]);

    // A ticket: named by the route until the ticket page names it by its number and title.
    await page.goto(`${suite.server.url}/tickets/${ticketId}`);
    await page.locator('main h1').waitFor();
    expect([`Ticket #${ticketId} · ${APP}`, `#${ticketId} Search box ignores accents · ${APP}`]).toContain(
      await page.title(),
    );

    // Without a reload: the title follows the address.
    await page.goto(`${suite.server.url}/`);
    await page.locator('main h1').waitFor();
    await page.getByRole('link', { name: 'Tickets', exact: true }).first().click();
    await page.waitForURL(`${suite.server.url}/tickets`);
    await page.waitForFunction((title) => document.title === title, `Tickets · ${APP}`);
    await page.goBack();
    await page.waitForFunction((title) => document.title === title, `Home · ${APP}`);

    // In French, at once, then back to English.
    await page.getByRole('button', { name: 'root' }).click();
    await page.getByRole('button', { name: 'Français' }).click();
    await page.waitForFunction((title) => document.title === title, `Accueil · ${APP}`);
    await page.goto(`${suite.server.url}/admin/stats`);
    await page.waitForFunction((title) => document.title === title, `Statistiques · ${APP}`);
    await page.getByRole('button', { name: 'root' }).click();
    await page.getByRole('button', { name: 'English' }).click();
    await page.waitForFunction((title) => document.title === title, `Statistics · ${APP}`);
  });

  it("names a reporter's list as theirs, and an admin page they may not open as not allowed", async () => {
    const { page, problems } = await newPage(suite.browser);
    await logIn(page, suite.server.url, ann.username, ann.password);
    expect(await titleOf(page, '/tickets')).toBe(`My tickets · ${APP}`);
    expect(await titleOf(page, '/admin/users')).toBe(`Not allowed · ${APP}`);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
