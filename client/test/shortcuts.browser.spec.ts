import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn, newPage } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

describeWithBrowser('Keyboard shortcuts: c, /, j/k and Enter, ? for the list', () => {
  let admin: Account;
  let ann: Account;
  const titles = ['Search box ignores accents', 'Export button does nothing', 'Logo is blurry'];

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    const agent = await registerAccount(url, 'ada');
    await setRole(url, admin, agent, 'AGENT');
    ann = await registerAccount(url, 'ann');
    const projectId = await createProject(url, admin, 'Website');
    for (const title of titles) await createTicket(url, ann, { projectId, title, description: 'Details.' });
  });

  beforeAll(async () => {
    await logIn(suite.page, suite.server.url, admin.username, admin.password);
  });

  const path = (page: Page) => new URL(page.url()).pathname;
  const focused = (page: Page) =>
    page.evaluate(() => ({
      id: document.activeElement?.id ?? '',
      row: document.activeElement?.closest('.ticket-row')?.querySelector('.ticket-number')?.textContent ?? '',
    }));

  it('c opens the new-ticket form, from any page', async () => {
    const { page } = suite;
    await page.goto(`${suite.server.url}/admin/stats`);
    await page.locator('main h1').waitFor();
    await page.keyboard.press('c');
    await page.waitForURL(`${suite.server.url}/tickets/new`);
    await page.locator('#title').waitFor();
  });

  it('does nothing while typing in a field, nor with Ctrl, Meta or Alt', async () => {
    const { page } = suite;
    await page.goto(`${suite.server.url}/tickets/new`);
    await page.locator('#title').click();
    await page.keyboard.type('c/jk? typed');
    expect(await page.locator('#title').inputValue()).toBe('c/jk? typed');
    await page.locator('#description').click();
    await page.keyboard.type('a c and a ?');
    expect(await page.locator('#description').inputValue()).toBe('a c and a ?');
    await page.locator('#category').focus();
    await page.keyboard.press('c');
    await page.keyboard.press('/');
    await page.locator('#lookup').focus();
    await page.keyboard.type('c');
    expect(await page.locator('#lookup').inputValue()).toBe('c');
    await page.locator('#lookup').fill('');
    expect(path(page)).toBe('/tickets/new');
    expect(await page.locator('dialog[open]').count()).toBe(0);

    await page.goto(`${suite.server.url}/`);
    await page.locator('main h1').waitFor();
    for (const chord of ['Control+c', 'Alt+c', 'Meta+c', 'Control+/']) await page.keyboard.press(chord);
    expect(path(page)).toBe('/');
    expect(await page.locator('dialog[open]').count()).toBe(0);
  });

  it('/ goes to the ticket list and puts the cursor in its search; on the list, in place', async () => {
    const { page } = suite;
    await page.goto(`${suite.server.url}/`);
    await page.locator('main h1').waitFor();
    await page.keyboard.press('/');
    await page.waitForURL(`${suite.server.url}/tickets`);
    await page.waitForFunction(() => document.activeElement?.id === 'f-search');
    // The slash is not typed into the box.
    expect(await page.locator('#f-search').inputValue()).toBe('');

    // On the list, filtered: the filter stays, the search box gets the focus.
    await page.goto(`${suite.server.url}/tickets?q=status:open`);
    await page.locator('.ticket-row').first().waitFor();
    await page.locator('main h1').click();
    await page.keyboard.press('/');
    await page.waitForFunction(() => document.activeElement?.id === 'f-search');
    expect(new URL(page.url()).searchParams.get('q')).toBe('status:open');
    await page.keyboard.press('End');
    await page.keyboard.type(' accents');
    await page.waitForURL((url) => url.searchParams.get('q') === 'status:open accents');
    await page.locator('.ticket-row', { hasText: 'Search box ignores accents' }).waitFor();
  });

  it('j and k move a visible selection through the rows; Enter opens the selected ticket', async () => {
    const { page } = suite;
    await page.goto(`${suite.server.url}/tickets?sort=newest`);
    await page.locator('.ticket-row').nth(2).waitFor();
    const numbers = await page.locator('.ticket-row .ticket-number').allTextContents();
    await page.locator('main h1').click();

    await page.keyboard.press('j');
    expect((await focused(page)).row).toBe(numbers[0]);
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    expect((await focused(page)).row).toBe(numbers[2]);
    // At the end it stays on the last row.
    await page.keyboard.press('j');
    expect((await focused(page)).row).toBe(numbers[2]);
    await page.keyboard.press('k');
    expect((await focused(page)).row).toBe(numbers[1]);

    // The selected row stands out from the others.
    const backgrounds = await page
      .locator('.ticket-row')
      .evaluateAll((rows) => rows.map((row) => getComputedStyle(row).backgroundColor));
    expect(backgrounds[1]).not.toBe(backgrounds[0]);
    expect(backgrounds[0]).toBe(backgrounds[2]);

    await page.keyboard.press('Enter');
    await page.waitForURL(`${suite.server.url}/tickets/${numbers[1].replace('#', '')}`);
  });

  it('? opens a dialog listing the shortcuts; Escape closes it and the focus comes back', async () => {
    const { page } = suite;
    await page.goto(`${suite.server.url}/tickets`);
    await page.locator('.ticket-row').first().waitFor();
    await page.locator('main h1').click();
    await page.keyboard.press('j');
    const before = await focused(page);

    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    const lines = await dialog
      .locator('dl > div')
      .evaluateAll((items) =>
        items.map((item) => (item as HTMLElement).innerText.replace(/\s+/g, ' ').trim()),
      );
    expect(lines).toEqual([
      'c New ticket',
      '/ Search tickets',
      'j Next ticket in a list',
      'k Previous ticket in a list',
      'Enter Open the selected ticket',
      '? Show this list',
    ]);
    // Modal: the keys are the dialog's while it is open (c does not leave the page).
    await page.keyboard.press('c');
    expect(path(page)).toBe('/tickets');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    expect(await focused(page)).toEqual(before);

    // From the hint at the bottom of the page, and closed with its button.
    const hint = page.getByRole('button', { name: 'Press ? for keyboard shortcuts' });
    await hint.click();
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe(
      'Press ? for keyboard shortcuts',
    );
  });

  it('j moves through the sections of a home, from one list to the next', async () => {
    const { page, problems } = await newPage(suite.browser);
    const url = suite.server.url;
    const [waiting] = (
      await api<{ tickets: { nodes: { id: string }[] } }>(
        url,
        '{ tickets(orderBy: { field: ID, direction: ASC }) { nodes { id } } }',
        {},
        admin.token,
      )
    ).tickets.nodes;
    await api(
      url,
      `mutation ($id: ID!) { updateTicket(id: $id, input: { status: WAITING, comment: "Which browser?" }) { id } }`,
      { id: waiting.id },
      admin.token,
    );
    await logIn(page, url, ann.username, ann.password);
    await page.locator('#waiting-title').waitFor();
    const numbers = await page.locator('main .ticket-row .ticket-number').allTextContents();
    expect(numbers[0]).toBe(`#${waiting.id}`);
    await page.keyboard.press('j');
    expect((await focused(page)).row).toBe(numbers[0]);
    await page.keyboard.press('j');
    // The first row of the next section.
    expect((await focused(page)).row).toBe(numbers[1]);
    expect(
      await page.evaluate(() => !!document.activeElement?.closest('section[aria-labelledby="open-title"]')),
    ).toBe(true);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
