import type { Page } from 'playwright-core';
import { rawQuery } from '../../server/src/database/sql';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;
const DAY = 86_400_000;

/*
 * Four tickets by ursula. Website: W1 (bug, agnes, open), W2 (question, agnes, resolved), W3 (bug, bert,
 * open, opened 100 days ago). Mobile: M1 (improvement, nobody, open). So over the last 30 days: 3 opened,
 * 2 still open, 1 done; over 26 weeks: 4, 3, 1. The team: agnes 1 open and 1 resolved, bert 1 open (W3, his
 * oldest), root (the ADMIN) nothing. Open by age: 2 under a day, 1 over 30 days.
 */
describeWithBrowser('Statistics: the figures a lead needs', () => {
  let root: Account;
  let agnes: Account;
  let bert: Account;
  let ursula: Account;
  let websiteId: string;
  let oldTicket: string;

  const suite = useBrowserSuite(async (url, server) => {
    root = await registerAccount(url, 'root');
    agnes = await registerAccount(url, 'agnes');
    bert = await registerAccount(url, 'bert');
    ursula = await registerAccount(url, 'ursula');
    await setRole(url, root, agnes, 'AGENT');
    await setRole(url, root, bert, 'AGENT');
    websiteId = await createProject(url, root, 'Website');
    const mobileId = await createProject(url, root, 'Mobile');
    const ticket = (projectId: string, title: string, category: string) =>
      createTicket(url, ursula, { projectId, title, description: 'As reported.', category });
    const w1 = await ticket(websiteId, 'Login fails', 'BUG');
    const w2 = await ticket(websiteId, 'How to export?', 'QUESTION');
    oldTicket = await ticket(websiteId, 'Slow search', 'BUG');
    await ticket(mobileId, 'Dark mode', 'IMPROVEMENT');
    await api(url, UPDATE, { id: w1, input: { assigneeId: agnes.id } }, agnes.token);
    await api(url, UPDATE, { id: w2, input: { assigneeId: agnes.id, status: 'RESOLVED' } }, agnes.token);
    await api(url, UPDATE, { id: oldTicket, input: { assigneeId: bert.id } }, bert.token);
    // Opened 100 days ago: written underneath, as the API dates a ticket by its creation.
    await rawQuery(
      server.running.services.database.manager,
      `UPDATE "ticket" SET "createdAt" = ? WHERE "id" = ?`,
      [Date.now() - 100 * DAY, Number(oldTicket)],
    );
  });

  const figure = async (page: Page, label: string) =>
    (
      await page
        .locator('.stats-figures .figure', { has: page.locator('dt', { hasText: label }) })
        .locator('dd')
        .textContent()
    )?.trim();
  const settled = (page: Page) => page.waitForFunction(() => !document.querySelector('.stale, .spinner'));
  /** A chart's card, by its heading. */
  const chartCard = (page: Page, title: string) =>
    page.locator('.chart-card', { has: page.getByRole('heading', { name: title, exact: true }) });
  const teamRows = (page: Page) =>
    page
      .locator('.team-table tbody tr')
      .evaluateAll((rows) =>
        rows.map((row) => [...row.children].map((cell) => cell.textContent?.trim() ?? '')),
      );

  it('keeps the project and the period in the address: a reload keeps them, back undoes one', async () => {
    const { page, server } = suite;
    await logIn(page, server.url, root.username, root.password);
    // The first address still works, and shows the new one.
    await page.goto(`${server.url}/admin/stats`);
    await page.waitForURL(`${server.url}/stats`);
    await page.locator('.stats-figures').waitFor();
    expect(await page.getByLabel('Period').inputValue()).toBe('26');
    expect(await figure(page, 'Tickets')).toBe('4');
    expect(await figure(page, 'Open')).toBe('3');

    await page.getByLabel('Period').selectOption({ label: 'Last 30 days' });
    await page.waitForURL(/period=30d/);
    await settled(page);
    expect(await figure(page, 'Tickets')).toBe('3');
    expect(await figure(page, 'Open')).toBe('2');
    expect(await figure(page, 'Closed in the period')).toBe('1');

    await page.getByLabel('Project', { exact: true }).selectOption({ label: 'Website' });
    await page.waitForURL(/project=/);
    await settled(page);
    expect(await figure(page, 'Tickets')).toBe('2');
    expect(Object.fromEntries(new URL(page.url()).searchParams)).toEqual({
      period: '30d',
      project: websiteId,
    });

    await page.reload();
    await page.locator('.stats-figures').waitFor();
    await settled(page);
    expect(await page.getByLabel('Project', { exact: true }).inputValue()).toBe(websiteId);
    expect(await page.getByLabel('Period').inputValue()).toBe('30d');
    expect(await figure(page, 'Tickets')).toBe('2');

    await page.goBack();
    await page.waitForURL((url) => !url.searchParams.has('project'));
    await settled(page);
    expect(await figure(page, 'Tickets')).toBe('3');
    expect(await page.getByLabel('Period').inputValue()).toBe('30d');
  });

  it('shows each chart as a table on demand, with the same figures', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/stats?period=26`);
    const card = chartCard(page, 'By category');
    await card.locator('.bar-list').waitFor();
    const toggle = card.locator('.chart-toggle');
    expect(await toggle.textContent()).toBe('Show as a table');
    await toggle.click();
    expect(await toggle.textContent()).toBe('Show as a chart');
    const rows = await card
      .locator('table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => cell.textContent?.trim())));
    expect(rows).toEqual([
      ['Bug', '2', '50 %'],
      ['Improvement', '1', '25 %'],
      ['Question', '1', '25 %'],
      ['Other', '0', '0 %'],
    ]);
    expect(await card.locator('.bar-list').count()).toBe(0);
    // Keyboard: the same button, still focused, turns it back into a chart.
    expect(await toggle.evaluate((button) => button === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await card.locator('.bar-list').waitFor();
    expect(await toggle.textContent()).toBe('Show as a table');

    // The backlog by age and the days, as tables.
    const ages = chartCard(page, 'Open tickets by age');
    await ages.getByRole('button', { name: 'Show as a table' }).click();
    expect(
      await ages
        .locator('table tbody tr')
        .evaluateAll((trs) =>
          trs.map((tr) => [...tr.children].slice(0, 2).map((cell) => cell.textContent?.trim())),
        ),
    ).toEqual([
      ['Under a day', '2'],
      ['1 to 7 days', '0'],
      ['7 to 30 days', '0'],
      ['Over 30 days', '1'],
    ]);
    const days = chartCard(page, 'Tickets per day');
    expect(await days.locator('svg[role="img"] desc').textContent()).toContain('The busiest day: 3 opened');
    await days.getByRole('button', { name: 'Show as a table' }).click();
    const dayRows = await days
      .locator('table tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].map((cell) => Number(cell.textContent) || 0)));
    expect(dayRows.reduce((sum, row) => sum + row[1], 0)).toBe(4);
    expect(dayRows.reduce((sum, row) => sum + row[2], 0)).toBe(1);
    await screenshots(page, 'stats-tables');
  });

  it('lists the team, each member with the oldest open ticket a click away', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/stats?period=26`);
    await page.locator('.team-table').waitFor();
    const rows = await teamRows(page);
    expect(rows.map((row) => row.slice(0, 3))).toEqual([
      ['agnes', '1', '1'],
      ['bert', '1', '0'],
      ['root', '0', '0'],
    ]);
    expect(rows[2][4]).toBe('—');
    await page.getByRole('link', { name: new RegExp(`^Ticket #${oldTicket}, opened`) }).click();
    await page.waitForURL(`${server.url}/tickets/${oldTicket}`);
    await page.getByRole('heading', { name: 'Slow search' }).waitFor();
  });

  it('puts the admin pages one click away in the header on a desktop, and in the menu on a phone', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/`);
    const adminNav = page.getByRole('navigation', { name: 'Administration' });
    for (const name of ['Projects', 'Users', 'Statistics', 'Data', 'Playground']) {
      expect(await adminNav.getByRole('link', { name, exact: true }).isVisible()).toBe(true);
    }
    // Nothing in the header runs out of its row, in either language, down to where the links give way.
    const overflow = () => page.locator('.header-inner').evaluate((row) => row.scrollWidth - row.clientWidth);
    const switchTo = async (language: string) => {
      await page.getByRole('button', { name: 'root' }).click();
      await page.locator('#main-menu').getByRole('button', { name: language }).click();
      await page.keyboard.press('Escape');
    };
    for (const language of ['Français', 'English']) {
      await switchTo(language);
      for (const width of [1280, 1200]) {
        await page.setViewportSize({ width, height: 900 });
        expect(await adminNav.isVisible()).toBe(true);
        expect([language, width, await overflow()]).toEqual([language, width, 0]);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    await adminNav.getByRole('link', { name: 'Statistics' }).waitFor();
    await adminNav.getByRole('link', { name: 'Users' }).click();
    await page.waitForURL(`${server.url}/admin/users`);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await adminNav.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'root' }).click();
    const menu = page.locator('#main-menu');
    for (const name of ['Projects', 'Users', 'Statistics', 'Data', 'GraphQL playground']) {
      await menu.getByRole('link', { name, exact: true }).waitFor();
    }
    await menu.getByRole('link', { name: 'Statistics' }).click();
    await page.waitForURL(`${server.url}/stats`);
    await page.locator('.team-table').waitFor();
    await screenshots(page, 'stats-admin');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('reads in French, every chart and the team table, with no message key left untranslated', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/stats?period=26`);
    await page.getByRole('button', { name: 'root' }).click();
    await page.locator('#main-menu').getByRole('button', { name: 'Français' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Statistiques', level: 1 }).waitFor();
    for (const toggle of await page.locator('.chart-toggle').all()) await toggle.click();
    await page.getByRole('heading', { name: 'Tickets par jour' }).waitFor();
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text.match(/\b(stats|age|nav|figures)\.\w+/g)).toBeNull();
    for (const words of [
      'Plus ancien ticket ouvert',
      'Résolus sur la période',
      'Moins d’un jour',
      'Afficher en graphique',
    ]) {
      expect(text).toContain(words);
    }
    await page.getByRole('link', { name: `Ticket #${oldTicket}, créé le`, exact: false }).waitFor();
    await page.getByRole('button', { name: 'root' }).click();
    await page.locator('#main-menu').getByRole('button', { name: 'English' }).click();
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { name: 'Statistics', level: 1 }).waitFor();
  });

  it('shows the backlog by age on the admin home, with a link to the statistics', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/`);
    const backlog = page.getByRole('region', { name: 'Open tickets by age' });
    await backlog.locator('.backlog-buckets li').first().waitFor();
    const counts = await backlog
      .locator('.backlog-buckets li')
      .evaluateAll((items) => items.map((item) => item.textContent?.replace(/\s+/g, ' ').trim()));
    expect(counts).toEqual(['2 Under a day', '0 1 to 7 days', '0 7 to 30 days', '1 Over 30 days']);
    await backlog.getByRole('link', { name: 'All statistics' }).click();
    await page.waitForURL(`${server.url}/stats`);
  });

  it('gives an AGENT the page, and the team, from a header link', async () => {
    const { page, problems } = await newPage(suite.browser);
    await logIn(page, suite.server.url, agnes.username, agnes.password);
    expect(await page.getByRole('link', { name: 'Projects', exact: true }).count()).toBe(0);
    await page.getByRole('navigation', { name: 'Team' }).getByRole('link', { name: 'Statistics' }).click();
    await page.waitForURL(`${suite.server.url}/stats`);
    await page.locator('.team-table').waitFor();
    expect((await teamRows(page)).map((row) => row[0])).toEqual(['agnes', 'bert', 'root']);
    // Read-only: filters and "show as a table", nothing to change.
    expect(await page.locator('main form button[type="submit"], main input[type="checkbox"]').count()).toBe(
      0,
    );
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('shows a USER the figures of their own tickets only, reached from their home, with no team', async () => {
    const rita = await registerAccount(suite.server.url, 'rita');
    await createTicket(suite.server.url, rita, {
      projectId: websiteId,
      title: 'Rita’s export is empty',
      description: 'Mine alone.',
      category: 'QUESTION',
    });
    const { page, problems } = await newPage(suite.browser);
    await logIn(page, suite.server.url, rita.username, rita.password);
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Statistics' }).count()).toBe(0);
    await page.getByRole('link', { name: 'My tickets in figures' }).click();
    await page.getByRole('heading', { name: 'My tickets in figures', level: 1 }).waitFor();
    await settled(page);
    // Her one ticket, not ursula's four: the API counts a USER's own tickets only.
    expect(await figure(page, 'Tickets')).toBe('1');
    expect(await figure(page, 'Open')).toBe('1');
    await chartCard(page, 'By category').waitFor();
    for (const teamPart of ['Per assignee', 'Opened per author']) {
      expect(await chartCard(page, teamPart).count()).toBe(0);
    }
    expect(await page.locator('.team-table').count()).toBe(0);
    expect(await page.getByRole('heading', { name: 'Team', exact: true }).count()).toBe(0);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
