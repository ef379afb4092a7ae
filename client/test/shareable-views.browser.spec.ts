import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn, newPage } from './support/browser';
import { api, createProject, createTicket, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

/** The query string of the page's address, as an object, to compare whole views. */
const searchOf = (page: Page) => Object.fromEntries(new URL(page.url()).searchParams);

/** The titles the list shows once its request has settled. */
async function listedTitles(page: Page): Promise<string[]> {
  await page.waitForFunction(() => !document.querySelector('.loading, .stale'));
  return (await page.locator('.ticket-title').allTextContents()).sort();
}

describeWithBrowser('filters in the address: shared by link, undone by the back button', () => {
  let admin: Account;
  let user: Account;
  let websiteId: string;

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    user = await registerAccount(url, 'louise');
    const officeId = await createProject(url, admin, 'Office');
    websiteId = await createProject(url, admin, 'Website');
    await createTicket(url, user, { projectId: officeId, title: 'Printer jam', description: 'Paper stuck.' });
    await createTicket(url, user, { projectId: websiteId, title: 'Login fails', description: 'Error 500.' });
    const closed = await createTicket(url, user, {
      projectId: websiteId,
      title: 'Typo on the home page',
      description: 'Fixed.',
    });
    await api(
      url,
      'mutation ($id: ID!) { updateTicket(id: $id, input: { status: CLOSED }) { id } }',
      { id: closed },
      user.token,
    );
  });

  it('steps back through the ticket list filters, one change at a time', async () => {
    const { page, server } = suite;
    await logIn(page, server.url, 'louise', user.password);
    await page.goto(`${server.url}/tickets`);
    expect(await listedTitles(page)).toEqual(['Login fails', 'Printer jam', 'Typo on the home page']);

    // The menus under "Filters" write the query bar's text.
    await page.getByRole('button', { name: /^Filters/ }).click();
    await page.getByLabel('Open or closed').selectOption('OPEN');
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open');
    await page.getByLabel('Project', { exact: true }).selectOption({ label: 'Website' });
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open project:Website');
    expect(await listedTitles(page)).toEqual(['Login fails']);

    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open');
    expect(searchOf(page)).toEqual({ q: 'is:open' });
    expect(await page.getByLabel('Project', { exact: true }).inputValue()).toBe('');
    expect(await page.getByLabel('Open or closed').inputValue()).toBe('OPEN');
    expect(await page.locator('#f-search').inputValue()).toBe('is:open');
    expect(await listedTitles(page)).toEqual(['Login fails', 'Printer jam']);

    await page.goBack();
    await page.waitForURL((url) => url.search === '');
    expect(await page.getByLabel('Open or closed').inputValue()).toBe('');
    expect(await listedTitles(page)).toEqual(['Login fails', 'Printer jam', 'Typo on the home page']);

    await page.goForward();
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open');
    expect(await page.getByLabel('Open or closed').inputValue()).toBe('OPEN');
    expect(await listedTitles(page)).toEqual(['Login fails', 'Printer jam']);
  });

  it('makes a whole search one history entry, which back undoes even while typing', async () => {
    const { page, server } = suite;
    // An old address (open=true) opens as the query it meant.
    await page.goto(`${server.url}/tickets?open=true`);
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open');
    expect(await listedTitles(page)).toEqual(['Login fails', 'Printer jam']);
    const search = page.getByLabel('Search');
    await search.press('End');
    await search.pressSequentially(' print', { delay: 20 });
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open print');
    await search.pressSequentially('er', { delay: 20 });
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open printer');
    expect(await listedTitles(page)).toEqual(['Printer jam']);

    // The focus is still in the box: the address, the box and the list go back together.
    await page.goBack();
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open');
    expect(searchOf(page)).toEqual({ q: 'is:open' });
    expect(await search.inputValue()).toBe('is:open');
    expect(await listedTitles(page)).toEqual(['Login fails', 'Printer jam']);
  });

  it('keeps the statistics filters in the address, so a link or a reload shows the same view', async () => {
    const { browser, server } = suite;
    const { page, problems } = await newPage(browser);
    await logIn(page, server.url, 'root', admin.password);
    await page.goto(`${server.url}/admin/stats`);
    await page.locator('.bar-list').first().waitFor();
    await page.getByLabel('Project').selectOption({ label: 'Website' });
    await page.waitForURL(/project=/);
    await page.getByLabel('Period').selectOption('4');
    await page.waitForURL(/period=4/);
    expect(searchOf(page)).toEqual({ project: websiteId, period: '4' });

    await page.reload();
    await page.locator('.bar-list').first().waitFor();
    expect(await page.getByLabel('Project').inputValue()).toBe(websiteId);
    expect(await page.getByLabel('Period').inputValue()).toBe('4');
    await expect(page.locator('.figures').textContent()).resolves.toMatch(/Tickets\s*2/);

    await page.goBack();
    await page.waitForURL((url) => !url.searchParams.has('period'));
    expect(await page.getByLabel('Period').inputValue()).toBe('26');
    expect(await page.getByLabel('Project').inputValue()).toBe(websiteId);

    // A shared link with custom dates opens on them; dates typed wrong in the address are ignored.
    await page.goto(`${server.url}/admin/stats?period=custom&from=2020-01-01&to=2020-12-31`);
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe('2020-01-01');
    expect(await page.getByLabel('To', { exact: true }).inputValue()).toBe('2020-12-31');
    await page.getByText('No ticket in this period.').waitFor();
    await page.goto(`${server.url}/admin/stats?period=custom&from=not-a-date`);
    await page.locator('.figures').waitFor();
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
