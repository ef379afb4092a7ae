import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn } from './support/browser';
import { api, createProject, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

/**
 * A second review of issue 12 in the browser: the picker with a hostile or numerous choice of files,
 * against the service's limits (at most 4 uploads of one user at once).
 */
describeWithBrowser('attacks review: attachments in the browser', () => {
  let reporter: Account;

  const suite = useBrowserSuite(async (url) => {
    const admin = await registerAccount(url, 'root');
    reporter = await registerAccount(url, 'rita');
    await createProject(url, admin, 'Website');
  });

  beforeAll(async () => {
    await logIn(suite.page, suite.server.url, reporter.username, reporter.password);
  });

  const picker = (page: Page) => page.locator('.attachment-picker');

  it('ten files picked at once are all sent: the client never sends more at once than the service takes', async () => {
    const { page, server } = suite;
    let inFlight = 0;
    let most = 0;
    page.on('request', (request) => {
      if (request.method() === 'POST' && request.url().endsWith('/attachments'))
        most = Math.max(most, ++inFlight);
    });
    const done = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST' && request.url().endsWith('/attachments')) inFlight -= 1;
    };
    page.on('requestfinished', done);
    page.on('requestfailed', done);
    await page.goto(`${server.url}/tickets/new`);
    await page.locator('#title').fill('Ten logs');
    await page.locator('#description').fill('All of them.');
    await page.locator('.attachment-picker input[type="file"]').setInputFiles(
      Array.from({ length: 10 }, (_, index) => ({
        name: `log-${index}.txt`,
        mimeType: 'text/plain',
        buffer: Buffer.alloc(512 * 1024, 'a'),
      })),
    );
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.attachment-picker li').length === 10 &&
        [...document.querySelectorAll('.attachment-picker li')].every(
          (li) =>
            /Ready, sent with the text|failed|error/i.test(li.textContent ?? '') ||
            li.querySelector('.field-error') !== null,
        ),
    );
    expect(await picker(page).locator('.field-error').allTextContents()).toEqual([]);
    expect(most).toBeLessThanOrEqual(4);
  });

  it('a filename of markup, a right-to-left override and 300 characters shows as inert text', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets/new`);
    await page.locator('#title').fill('Hostile names');
    await page.locator('#description').fill('See the files.');
    const hostile = '<img src=x onerror=window.__pwned=1>.txt';
    await page.locator('.attachment-picker input[type="file"]').setInputFiles([
      { name: hostile, mimeType: 'text/plain', buffer: Buffer.from('a') },
      { name: 'invoice\u202Etxt.exe', mimeType: 'text/plain', buffer: Buffer.from('b') },
      { name: `${'x'.repeat(300)}.txt`, mimeType: 'text/plain', buffer: Buffer.from('c') },
    ]);
    await picker(page).getByText('Ready, sent with the text').nth(2).waitFor();
    await page.getByRole('button', { name: 'Send ticket' }).click();
    await page.waitForURL(/\/tickets\/\d+$/);
    const id = /\/tickets\/(\d+)$/.exec(page.url())![1];
    await page.locator('.attachment-file').first().waitFor();
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    const { ticket } = await api<{ ticket: { attachments: { filename: string }[] } }>(
      server.url,
      'query ($id: ID!) { ticket(id: $id) { attachments { filename } } }',
      { id },
      reporter.token,
    );
    expect(ticket.attachments.map((file) => file.filename)).toEqual([
      hostile,
      'invoicetxt.exe',
      'x'.repeat(200),
    ]);
  });
});
