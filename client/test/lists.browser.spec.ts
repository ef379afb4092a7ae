import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

/** The ticket list's query bar, saved views and bulk edits (issue 13), against the server's own answers. */

const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;
const TITLES = `query ($filter: TicketFilter) { tickets(filter: $filter, first: 100) { nodes { title } } }`;

/** The titles the list shows once its request has settled. */
async function listedTitles(page: Page): Promise<string[]> {
  await page.waitForFunction(() => !document.querySelector('.loading, .stale'));
  return (await page.locator('.ticket-title').allTextContents()).sort();
}

/** Types a query in the bar and applies it with Enter. */
async function search(page: Page, text: string): Promise<void> {
  const box = page.locator('#f-search');
  await box.fill(text);
  await box.press('Enter');
  await page.waitForURL((url) => url.searchParams.get('q') === text);
}

const chipLabels = (page: Page) => page.locator('.filter-chips li span').allTextContents();

describeWithBrowser('Ticket list: query bar, saved views, bulk edits', () => {
  let admin: Account;
  let ada: Account;
  let louise: Account;
  const ids: Record<string, string> = {};

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    ada = await registerAccount(url, 'ada');
    louise = await registerAccount(url, 'louise');
    await setRole(url, admin, ada, 'AGENT');
    const mobile = await createProject(url, admin, 'Mobile app');
    const website = await createProject(url, admin, 'Website');
    const seed: [string, string, string, Record<string, unknown>][] = [
      ['Crash on start', mobile, 'HIGH', { assigneeId: ada.id }],
      ['Slow sync', mobile, 'LOW', { assigneeId: ada.id }],
      ['Push missing', mobile, 'HIGH', { assigneeId: ada.id, status: 'RESOLVED' }],
      ['Login fails', website, 'HIGH', {}],
      ['Typo on home', website, 'NORMAL', { status: 'CLOSED' }],
      ['Dark mode', website, 'HIGH', { assigneeId: ada.id }],
    ];
    for (const [title, projectId, priority, input] of seed) {
      ids[title] = await createTicket(url, louise, { projectId, title, description: `About ${title}.` });
      await api(url, UPDATE, { id: ids[title], input: { priority, ...input } }, admin.token);
    }
  });

  const serverTitles = async (filter: Record<string, unknown>) =>
    (
      await api<{ tickets: { nodes: { title: string }[] } }>(suite.server.url, TITLES, { filter }, ada.token)
    ).tickets.nodes
      .map((node) => node.title)
      .sort();

  it('filters by typed keys with chips, removes a chip, names what it does not understand', async () => {
    const { page, server } = suite;
    await logIn(page, server.url, 'ada', ada.password);
    await page.goto(`${server.url}/tickets`);
    expect((await listedTitles(page)).length).toBe(6);

    await search(page, 'is:open assignee:me priority:high');
    const expected = await serverTitles({ open: true, assigneeId: ada.id, priority: ['HIGH'] });
    expect(expected).toEqual(['Crash on start', 'Dark mode']);
    expect(await listedTitles(page)).toEqual(expected);
    expect(await chipLabels(page)).toEqual(['Open', 'Assignee: Me', 'Priority: High']);
    await screenshots(page, 'ticket-list-query-bar');

    // Removing a chip (by keyboard) updates the address, the box and the rows.
    await page.getByRole('button', { name: 'Remove the filter Priority: High' }).focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open assignee:me');
    expect(await page.locator('#f-search').inputValue()).toBe('is:open assignee:me');
    expect(await listedTitles(page)).toEqual(await serverTitles({ open: true, assigneeId: ada.id }));
    expect(await chipLabels(page)).toEqual(['Open', 'Assignee: Me']);

    // A mistyped key is named under the box, never silently ignored.
    await search(page, 'statu:x');
    const problems = page.locator('#f-problems');
    await problems.getByText('Unknown filter “statu:”', { exact: false }).waitFor();
    expect(await page.locator('#f-search').getAttribute('aria-invalid')).toBe('true');
    await search(page, 'status:later');
    await problems.getByText('“later” is not a value of status', { exact: false }).waitFor();

    // A quoted project name; a name that matches nothing is said so.
    await search(page, 'project:"Mobile app" is:open');
    expect(await listedTitles(page)).toEqual(['Crash on start', 'Slow sync']);
    expect(await chipLabels(page)).toEqual(['Project: Mobile app', 'Open']);
    await search(page, 'project:"Nowhere"');
    await problems.getByText('No project called “Nowhere”.').waitFor();
  });

  it('keeps the query in the address: a link opens it, an old address is translated', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets?q=${encodeURIComponent('project:Website -status:closed')}`);
    expect(await listedTitles(page)).toEqual(['Dark mode', 'Login fails']);
    expect(await page.locator('#f-search').inputValue()).toBe('project:Website -status:closed');
    expect(await chipLabels(page)).toEqual(['Project: Website', 'Status: not Closed']);

    // The header's "assigned to me" link and older bookmarks.
    await page.goto(`${server.url}/tickets?assignee=me&open=true`);
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open assignee:me');
    expect(new URL(page.url()).searchParams.has('assignee')).toBe(false);
    expect(await listedTitles(page)).toEqual(['Crash on start', 'Dark mode', 'Slow sync']);

    // The filter menus write the same text.
    await page.getByRole('button', { name: /^Filters/ }).click();
    await page.locator('#f-priority').selectOption('LOW');
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open assignee:me priority:low');
    expect(await listedTitles(page)).toEqual(['Slow sync']);
  });

  it('saves the current query as a named view, listed after a reload, and deletes it', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets?q=${encodeURIComponent('is:open assignee:me')}`);
    await listedTitles(page);
    const views = page.getByRole('navigation', { name: 'Views' });
    await views.getByRole('button', { name: '+ Save view' }).click();
    await page.getByLabel('Name of the view').fill('My open');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('View “My open” saved.').waitFor();
    const link = views.getByRole('link', { name: 'My open' });
    expect(await link.getAttribute('aria-current')).toBe('page');
    const stored = await api<{ savedViews: { name: string; query: string }[] }>(
      server.url,
      '{ savedViews { name query } }',
      {},
      ada.token,
    );
    expect(stored.savedViews).toEqual([{ name: 'My open', query: 'is:open assignee:me' }]);

    // After a reload, from the agent's home, the view opens its query.
    await page.goto(`${server.url}/`);
    await page.getByRole('navigation', { name: 'Views' }).getByRole('link', { name: 'My open' }).click();
    await page.waitForURL((url) => url.searchParams.get('q') === 'is:open assignee:me');
    expect(await listedTitles(page)).toEqual(['Crash on start', 'Dark mode', 'Slow sync']);

    await views.getByRole('button', { name: 'Delete this view' }).click();
    await page.getByText('View “My open” deleted.').waitFor();
    expect(await views.getByRole('link', { name: 'My open' }).count()).toBe(0);
    const after = await api<{ savedViews: unknown[] }>(server.url, '{ savedViews { id } }', {}, ada.token);
    expect(after.savedViews).toEqual([]);
  });

  it('changes the status of 3 selected tickets at once: rows, server data and one job each', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets?q=${encodeURIComponent('is:open')}`);
    expect(await listedTitles(page)).toEqual(['Crash on start', 'Dark mode', 'Login fails', 'Slow sync']);
    const chosen = ['Crash on start', 'Login fails', 'Slow sync'];
    const jobsBefore = await jobCounts(chosen);

    // Escape clears a selection.
    await page.getByLabel(`Select #${ids['Dark mode']} Dark mode`).check();
    await page.getByText('1 selected').waitFor();
    await page.keyboard.press('Escape');
    await page.locator('.bulk-bar').waitFor({ state: 'detached' });

    for (const title of chosen) await page.getByLabel(`Select #${ids[title]} ${title}`).check();
    const bar = page.getByRole('form', { name: 'Change the selected tickets' });
    await bar.getByText('3 selected').waitFor();
    await screenshots(page, 'ticket-list-bulk-bar');
    await bar.getByLabel('Status').selectOption('WAITING');
    await bar.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('3 tickets updated').waitFor();
    for (const title of chosen) {
      await page
        .locator('.ticket-row', { hasText: title })
        .locator('.badge-status', { hasText: 'Waiting for reporter' })
        .waitFor();
    }
    expect(await serverTitles({ status: ['WAITING'] })).toEqual(chosen);
    const jobsAfter = await jobCounts(chosen);
    expect(chosen.map((title) => jobsAfter[title] - jobsBefore[title])).toEqual([1, 1, 1]);

    // Select all on this page, then nothing chosen: said so, nothing sent.
    await page.getByLabel('Select all on this page').check();
    await page.getByText('4 selected').waitFor();
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('Choose a status, a priority or an assignee first.').waitFor();
    await page.getByRole('button', { name: 'Clear selection' }).click();
    await page.locator('.bulk-bar').waitFor({ state: 'detached' });
  });

  it('a selected ticket closed by someone else leaves the selection; Apply changes the others only', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets?q=${encodeURIComponent('is:open')}`);
    const chosen = ['Crash on start', 'Login fails', 'Slow sync'];
    for (const title of chosen) await page.getByLabel(`Select #${ids[title]} ${title}`).check();
    const bar = page.getByRole('form', { name: 'Change the selected tickets' });
    await bar.getByText('3 selected').waitFor();

    // Closed elsewhere: the list hears it live, the row goes, and so does its checkbox's choice.
    await api(server.url, UPDATE, { id: ids['Login fails'], input: { status: 'CLOSED' } }, admin.token);
    await page.getByText('A selected ticket left this list: it is no longer selected.').waitFor();
    await bar.getByText('2 selected').waitFor();
    const jobsBefore = await jobCounts(chosen);
    await bar.getByLabel('Priority').selectOption('URGENT');
    await bar.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('2 tickets updated').waitFor();
    const jobsAfter = await jobCounts(chosen);
    expect(chosen.map((title) => jobsAfter[title] - jobsBefore[title])).toEqual([1, 0, 1]);

    // Put things back for the next test: priorities and the open ticket.
    await api(server.url, UPDATE, { id: ids['Login fails'], input: { status: 'OPEN' } }, admin.token);
    await api(server.url, UPDATE, { id: ids['Crash on start'], input: { priority: 'HIGH' } }, admin.token);
    await api(server.url, UPDATE, { id: ids['Slow sync'], input: { priority: 'LOW' } }, admin.token);
  });

  it('says when typed text is not applied yet, until Enter applies it', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets?q=${encodeURIComponent('priority:high')}`);
    const box = page.getByRole('searchbox', { name: 'Search or filter' });
    await box.fill('');
    await box.pressSequentially('statu:waiting');
    await page.getByText('Not applied yet: press Enter to apply', { exact: false }).waitFor();
    expect(new URL(page.url()).searchParams.get('q')).toBe('priority:high');
    await box.press('Enter');
    await page.locator('#f-problems').waitFor();
    expect(await page.getByText('Not applied yet', { exact: false }).count()).toBe(0);
  });

  async function jobCounts(titles: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const title of titles) {
      const { ticket } = await api<{ ticket: { jobs: unknown[] } }>(
        suite.server.url,
        'query ($id: ID!) { ticket(id: $id) { jobs { id } } }',
        { id: ids[title] },
        ada.token,
      );
      counts[title] = ticket.jobs.length;
    }
    return counts;
  }

  it('a reporter gets the bar without the keys that are not theirs and no checkboxes', async () => {
    const { browser, server } = suite;
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await logIn(page, server.url, 'louise', louise.password);
    await page.goto(`${server.url}/tickets?q=${encodeURIComponent('assignee:me is:closed')}`);
    await page.locator('#f-problems').getByText('“assignee:” does not apply to your own tickets.').waitFor();
    expect(await listedTitles(page)).toEqual(['Push missing', 'Typo on home']);
    expect(await page.locator('.row-select').count()).toBe(0);
    await context.close();
  });
});
