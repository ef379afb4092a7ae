import type { Page } from 'playwright-core';
import { axeViolations, BLOCKING_IMPACTS } from './support/accessibility';
import { describeWithBrowser, newPage, screenshots } from './support/browser';
import { api, PASSWORD } from './support/server';
import { useBrowserSuite } from './support/suite';

// A new installation has no account: the first visitor is offered to create the administrator, and
// nobody is welcomed "back". Once an account exists, the login page is the usual one.

describeWithBrowser('first run: an empty service offers to create its administrator', () => {
  // No seed: the database is empty.
  const suite = useBrowserSuite();

  /** axe's serious and critical violations of the page as it is, at 1280 and at 390 px. */
  async function blockingViolations(page: Page): Promise<string[]> {
    const found: string[] = [];
    for (const [width, height] of [
      [1280, 900],
      [390, 844],
    ]) {
      await page.setViewportSize({ width, height });
      for (const violation of await axeViolations(page)) {
        if (BLOCKING_IMPACTS.includes(violation.impact)) found.push(`${width} px ${violation.text}`);
      }
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    return found;
  }

  const setupNeeded = async () =>
    (await api<{ setupNeeded: boolean }>(suite.server.url, '{ setupNeeded }')).setupNeeded;

  it('says in French too that the service has no account yet', async () => {
    const { page, problems } = await newPage(suite.browser, 'fr-FR');
    await page.goto(`${suite.server.url}/`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByRole('heading', { name: 'Mettre en service Simple Ticketing' }).waitFor();
    await page.getByText('Ce service n’a encore aucun compte.', { exact: false }).waitFor();
    await page.getByRole('link', { name: 'Créer le compte administrateur' }).waitFor();
    expect(await page.locator('main').textContent()).not.toMatch(/Bon retour/);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('on an empty database: a landing, then the administrator account, then home as ADMIN', async () => {
    const { page } = suite;
    expect(await setupNeeded()).toBe(true);

    // Any page sends a signed-out visitor to the login page, which here is the landing.
    await page.goto(`${suite.server.url}/tickets`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByRole('heading', { name: 'Set up Simple Ticketing', level: 1 }).waitFor();
    const main = page.locator('main');
    await main.getByText('This service has no account yet.', { exact: false }).waitFor();
    const text = (await main.textContent()) ?? '';
    expect(text).not.toMatch(/Welcome back/i);
    // Nobody can log in yet: no login form to try.
    await expect(page.locator('#login').count()).resolves.toBe(0);
    await screenshots(page, 'first-run-landing');
    expect(await blockingViolations(page)).toEqual([]);

    await page.getByRole('link', { name: 'Create the administrator account' }).click();
    await page.waitForURL((url) => url.pathname === '/register');
    await page.getByRole('heading', { name: 'Create the administrator account', level: 1 }).waitFor();
    await main.getByText('this account will be the administrator', { exact: false }).waitFor();
    await expect(main.getByText('Already have an account?', { exact: false }).isVisible()).resolves.toBe(
      false,
    );
    expect(await blockingViolations(page)).toEqual([]);

    await page.locator('#username').fill('founder');
    await page.locator('#email').fill('founder@example.com');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL((url) => url.pathname !== '/register');

    // Home, signed in as the administrator (the session of this page says so).
    expect(new URL(page.url()).pathname).toBe('/');
    const me = await page.evaluate(async () => {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: '{ me { username role } }' }),
      });
      return ((await response.json()) as { data: { me: { username: string; role: string } | null } }).data.me;
    });
    expect(me).toEqual({ username: 'founder', role: 'ADMIN' });
    expect(await setupNeeded()).toBe(false);
    await screenshots(page, 'first-run-admin-home');
  });

  it('on a database with an account: the usual login, with no setup offer and no "welcome back"', async () => {
    const { page, problems } = await newPage(suite.browser);
    await page.goto(`${suite.server.url}/`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.locator('#login').waitFor();
    await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
    await page.getByText('Log in to follow your tickets, or create an account.').waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toMatch(/Welcome back|administrator/i);
    await expect(page.getByRole('link', { name: 'Create the administrator account' }).count()).resolves.toBe(
      0,
    );

    await page.goto(`${suite.server.url}/register`);
    await page.locator('#username').waitFor();
    await page.getByRole('heading', { name: 'Create your account', level: 1 }).waitFor();
    expect((await page.locator('main').textContent()) ?? '').not.toMatch(/administrator/i);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
