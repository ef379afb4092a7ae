import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;

/** The checklist's steps as a person hears them: "done: Create your first project", "to do: ...". */
async function steps(page: Page): Promise<string[]> {
  return page
    .locator('.setup-steps > li')
    .evaluateAll((items) =>
      items.map((item) =>
        [item.querySelector('.visually-hidden')?.textContent, item.querySelector('.step-title')?.textContent]
          .map((text) => text?.trim())
          .join(' '),
      ),
    );
}

describeWithBrowser('Admin home: the first-run checklist on an empty service', () => {
  let admin: Account;

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
  });

  it('ticks each step from what happened: a project created, its link copied, another agent', async () => {
    const { page } = suite;
    const url = suite.server.url;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    await logIn(page, url, admin.username, admin.password);
    const checklist = page.getByRole('region', { name: 'Getting started' });
    await checklist.getByText('0 of 3 done').waitFor();
    expect(await steps(page)).toEqual([
      'to do: Create your first project',
      'to do: Share the link with your reporters',
      'to do: Invite your agents',
    ]);
    // No project, no link to share yet: the step says why.
    await checklist.getByText('create a project first').waitFor();
    expect(await page.locator('#reporter-link').count()).toBe(0);
    await screenshots(page, 'home-admin-first-run');

    // Step 1, through the Projects page it links to.
    await checklist.getByRole('link', { name: 'Create a project' }).click();
    await page.waitForURL(`${url}/admin/projects`);
    await page.locator('#project-name').fill('Mobile app');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.locator('.admin-row', { hasText: 'Mobile app' }).waitFor();
    const { projects } = await api<{ projects: { id: string; name: string }[] }>(
      url,
      '{ projects { id name } }',
      {},
      admin.token,
    );
    const projectId = projects.find((project) => project.name === 'Mobile app')!.id;

    await page.getByRole('link', { name: 'Home' }).first().click();
    await checklist.getByText('1 of 3 done').waitFor();
    expect((await steps(page))[0]).toBe('done: Create your first project');
    expect(await checklist.getByRole('link', { name: 'Create a project' }).count()).toBe(0);

    // Step 2: the link is the new-ticket form of that project; Copy puts it on the clipboard.
    const link = `${url}/tickets/new?project=${projectId}`;
    const linkBox = checklist.getByRole('textbox', { name: 'Link to report a ticket on Mobile app' });
    expect(await linkBox.inputValue()).toBe(link);
    await checklist.getByRole('button', { name: 'Copy the link' }).click();
    await checklist.getByRole('status').getByText('Link copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link);
    await checklist.getByText('2 of 3 done').waitFor();
    expect((await steps(page))[1]).toBe('done: Share the link with your reporters');
    expect(await checklist.getByRole('button', { name: 'Copy the link' }).isVisible()).toBe(true);
    // Remembered by this browser.
    await page.reload();
    await checklist.getByText('2 of 3 done').waitFor();

    // The link does what it promises: a reporter who signs up lands on the form, on that project.
    const reporter = await newPage(suite.browser);
    await reporter.page.goto(link);
    await reporter.page.waitForURL((address) => address.pathname === '/login');
    await reporter.page.locator('main a[href^="/register?next="]').click();
    await reporter.page.locator('#username').fill('rita');
    await reporter.page.locator('#email').fill('rita@example.com');
    await reporter.page.locator('#password').fill('Correct-Horse-Battery-42');
    await reporter.page.locator('form button[type="submit"]').click();
    await reporter.page.waitForURL(link);
    expect(await reporter.page.locator('#projectId').inputValue()).toBe(projectId);
    expect(reporter.problems.errors).toEqual([]);
    await reporter.page.context().close();

    // Step 3: someone who signed up becomes an agent.
    await checklist.getByRole('link', { name: 'Promote users who signed up' }).click();
    await page.waitForURL(`${url}/admin/users`);
    const { users } = await api<{ users: { id: string; username: string }[] }>(
      url,
      '{ users { id username } }',
      {},
      admin.token,
    );
    const rita = users.find((user) => user.username === 'rita')!;
    await setRole(url, admin, { ...admin, id: rita.id, username: 'rita' }, 'AGENT');
    await page.getByRole('link', { name: 'Home' }).first().click();

    // All done: the checklist folds to one line, which still opens on the steps.
    const done = page.locator('details.setup-done');
    await done.getByText('Getting started: all done').waitFor();
    expect(await page.getByRole('region', { name: 'Getting started' }).count()).toBe(0);
    expect(await done.evaluate((details) => (details as HTMLDetailsElement).open)).toBe(false);
    await done.locator('summary').click();
    expect(await steps(page)).toEqual([
      'done: Create your first project',
      'done: Share the link with your reporters',
      'done: Invite your agents',
    ]);
    // The admin home is still there under it.
    await page.locator('.project-card', { hasText: 'Mobile app' }).waitFor();
  });

  it('shows the link selected, with what to press, when the browser refuses to copy', async () => {
    const { page } = suite;
    const url = suite.server.url;
    await page.evaluate(() => localStorage.removeItem('st_reporter_link_copied'));
    await page.goto(url);
    // Fold opened again: the step is still done only if tickets came in, and none did.
    await page.getByRole('region', { name: 'Getting started' }).getByText('2 of 3 done').waitFor();
    await page.evaluate(() => {
      Object.defineProperty(Clipboard.prototype, 'writeText', {
        value: () => Promise.reject(new DOMException('Denied', 'NotAllowedError')),
      });
    });
    await page.getByRole('button', { name: 'Copy the link' }).click();
    await page.getByRole('status').getByText('press Ctrl+C').waitFor();
    const selection = await page.evaluate(() => {
      const input = document.activeElement as HTMLInputElement;
      return { id: input.id, selected: input.value.slice(input.selectionStart!, input.selectionEnd!) };
    });
    expect(selection.id).toBe('reporter-link');
    expect(selection.selected).toMatch(/\/tickets\/new\?project=\d+$/);
    expect((await steps(page))[1]).toBe('to do: Share the link with your reporters');
    // Copied by hand (Ctrl+C on the selected link): the step is done, and stays open in view until the next visit.
    await page.keyboard.press('Control+c');
    await page.getByRole('region', { name: 'Getting started' }).getByText('3 of 3 done').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('st_reporter_link_copied'))).toBe('true');
    await page.reload();
    await page.locator('details.setup-done').waitFor();
  });
});

describeWithBrowser("Reporter's home: waiting, open, recently resolved, and what changed", () => {
  let admin: Account;
  let agent: Account;
  let ann: Account;
  const tickets: Record<string, string> = {};

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    agent = await registerAccount(url, 'ada');
    await setRole(url, admin, agent, 'AGENT');
    ann = await registerAccount(url, 'ann');
    const projectId = await createProject(url, admin, 'Website');
    const open = (title: string) => createTicket(url, ann, { projectId, title, description: 'Details.' });
    tickets.resolved = await open('Search box ignores accents');
    tickets.waiting = await open('Export button does nothing');
    tickets.open = await open('Logo is blurry');
    tickets.mine = await open('Typo on the pricing page');
    await api(
      url,
      UPDATE,
      { id: tickets.resolved, input: { status: 'IN_PROGRESS', comment: 'Looking into it.' } },
      agent.token,
    );
    await api(
      url,
      UPDATE,
      {
        id: tickets.resolved,
        input: {
          status: 'RESOLVED',
          comment: 'Fixed: the **search index** now folds accents, so "cafe" finds "café". Deployed in 2.4.',
        },
      },
      agent.token,
    );
    await api(
      url,
      UPDATE,
      { id: tickets.resolved, input: { comment: 'Internal: closed', internal: true } },
      agent.token,
    );
    await api(
      url,
      UPDATE,
      { id: tickets.waiting, input: { status: 'WAITING', comment: 'Which browser do you use?' } },
      agent.token,
    ); // Reported twice: the second one is closed as a duplicate of the first, without a word.
    tickets.duplicate = await open('Accents in search');
    await api(
      url,
      UPDATE,
      { id: tickets.duplicate, input: { duplicateOfId: tickets.resolved } },
      agent.token,
    );
  });

  const sectionTitles = (page: Page) =>
    page
      .locator('main section h2')
      .evaluateAll((titles) => titles.map((title) => title.firstChild?.textContent?.trim()));
  const rowsOf = (page: Page, titleId: string) =>
    page.locator(`section[aria-labelledby="${titleId}"] .ticket-row .ticket-number`).allTextContents();

  it('lists the tickets waiting for an answer first, then the open ones, then the resolved with how', async () => {
    const { page } = suite;
    await logIn(page, suite.server.url, ann.username, ann.password);
    await page.locator('#resolved-title').waitFor();
    expect(await sectionTitles(page)).toEqual([
      'Waiting for your answer',
      'My other open tickets',
      'Recently resolved or closed',
    ]);
    expect(await rowsOf(page, 'waiting-title')).toEqual([`#${tickets.waiting}`]);
    expect((await rowsOf(page, 'open-title')).sort()).toEqual(
      [`#${tickets.open}`, `#${tickets.mine}`].sort(),
    );
    // Most recently done first.
    expect(await rowsOf(page, 'resolved-title')).toEqual([`#${tickets.duplicate}`, `#${tickets.resolved}`]);

    const [duplicateRow, resolvedRow] = [0, 1].map((index) =>
      page.locator('section[aria-labelledby="resolved-title"] .ticket-row').nth(index),
    );
    // The resolving job's public comment, as words (no markdown marks), never the internal note after it.
    expect((await resolvedRow.locator('.solution').innerText()).replace(/\s+/g, ' ')).toBe(
      'How it was solved: Fixed: the search index now folds accents, so "cafe" finds "café". Deployed in 2.4.',
    );
    expect(await resolvedRow.innerText()).not.toContain('Internal');
    expect((await duplicateRow.locator('.solution').innerText()).trim()).toBe(
      `Closed as duplicate of #${tickets.resolved}`,
    );
    // The first visit in this browser marks nothing as new.
    expect(await page.locator('.new-mark').count()).toBe(0);
    await screenshots(page, 'home-reporter');
  });

  it('marks "New" what someone else changed since the previous visit, not what the reporter did', async () => {
    const { page } = suite;
    const url = suite.server.url;
    // Visits are a tab's stay: the previous one was the first test's.
    await api(
      url,
      UPDATE,
      { id: tickets.open, input: { comment: 'Can you send a screenshot?' } },
      agent.token,
    );
    await api(url, UPDATE, { id: tickets.mine, input: { comment: 'Also on the about page.' } }, ann.token);
    const { ticket } = await api<{ ticket: { updatedAt: string } }>(
      url,
      'query ($id: ID!) { ticket(id: $id) { updatedAt } }',
      { id: tickets.mine },
      ann.token,
    );
    expect(ticket.updatedAt).toBeTruthy();

    const nextVisit = await page.context().newPage();
    await nextVisit.goto(url);
    await nextVisit.locator('#resolved-title').waitFor();
    const openRow = nextVisit.locator('.ticket-row', { hasText: `#${tickets.open}` });
    await openRow.locator('.new-mark').waitFor();
    // Seen as "New", heard as what it means.
    expect((await openRow.locator('.ticket-link').textContent())?.replace(/\s+/g, ' ')).toContain(
      'New: changed since your last visit',
    );
    expect(
      await nextVisit
        .locator('.ticket-row', { hasText: `#${tickets.mine}` })
        .locator('.new-mark')
        .count(),
    ).toBe(0);
    expect(await nextVisit.locator('.new-mark').count()).toBe(1);
    await nextVisit.getByText('Changed since your last visit: 1').waitFor();
    // Coming back to the home within the same visit keeps the marks: they are about the visit before.
    await nextVisit.reload();
    await openRow.locator('.new-mark').waitFor();

    // The visit after that one starts from it: nothing changed since.
    const third = await page.context().newPage();
    await third.goto(url);
    await third.locator('#resolved-title').waitFor();
    expect(await third.locator('.new-mark').count()).toBe(0);
    await nextVisit.close();
    await third.close();
  });
});

describeWithBrowser('At 390 px: the ticket list and the statistics', () => {
  let admin: Account;
  let ann: Account;

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    ann = await registerAccount(url, 'ann');
    const projectId = await createProject(url, admin, 'A project with a rather long name for a phone');
    for (const title of ['First', 'Second', 'Third']) {
      const id = await createTicket(url, ann, { projectId, title, description: 'Details.' });
      if (title === 'Second') await api(url, UPDATE, { id, input: { status: 'WAITING' } }, admin.token);
    }
  });

  /** Every filter card of the page: how many of its controls can be seen and used, and its height. */
  const filterCards = (page: Page) =>
    page.locator('main form.card').evaluateAll((cards) =>
      cards.map((card) => ({
        height: card.getBoundingClientRect().height,
        visibleControls: [...card.querySelectorAll('input, select, button')].filter((control) => {
          const box = control.getBoundingClientRect();
          return box.width > 0 && box.height > 0 && box.right <= window.innerWidth;
        }).length,
      })),
    );

  it('shows no empty filter card on the ticket list, for a reporter and for an admin', async () => {
    const { page } = suite;
    await page.setViewportSize({ width: 390, height: 844 });
    for (const account of [ann, admin]) {
      await page.context().clearCookies();
      await logIn(page, suite.server.url, account.username, account.password);
      await page.goto(`${suite.server.url}/tickets`);
      await page.locator('.ticket-row').first().waitFor();
      const cards = await filterCards(page);
      expect(cards.length).toBeGreaterThan(0);
      for (const card of cards) expect(card.visibleControls).toBeGreaterThanOrEqual(2);
      // The folded filters open under their button.
      await page.getByRole('button', { name: /^Filters/ }).click();
      await page.locator('#f-status').waitFor({ state: 'visible' });
    }
  });

  it('keeps the statistics filters in view and usable, and the chart labels readable', async () => {
    const { page } = suite;
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${suite.server.url}/admin/stats`);
    await page.locator('.bar-list').first().waitFor();
    for (const card of await filterCards(page)) expect(card.visibleControls).toBeGreaterThanOrEqual(2);

    await page.locator('#s-period').selectOption('custom');
    const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
    await page.locator('#s-from').fill(day(60));
    await page.locator('#s-to').fill(day(0));
    await page.waitForURL((address) => address.searchParams.get('from') === day(60));
    expect(new URL(page.url()).searchParams.get('to')).toBe(day(0));
    for (const card of await filterCards(page)) expect(card.visibleControls).toBe(4);
    // The period chosen on the phone is the one counted.
    await page.waitForFunction(() => !document.querySelector('.stale, .banner-error'));
    await page.getByText('Tickets per week').waitFor();
    await page.locator('#s-period').selectOption('12');
    await page.waitForURL((address) => !address.search.includes('from='));
    await page.waitForFunction(() => !document.querySelector('.stale'));

    // The chart is drawn at its shown size: its axis labels keep a readable size (they were 4 px).
    const axisHeights = await page
      .locator('.chart .axis')
      .evaluateAll((labels) => labels.map((label) => label.getBoundingClientRect().height));
    expect(axisHeights.length).toBeGreaterThan(0);
    expect(Math.min(...axisHeights)).toBeGreaterThanOrEqual(10);
    // Date labels do not run into each other.
    const dates = await page
      .locator('.chart text[text-anchor="middle"]')
      .evaluateAll((labels) => labels.map((label) => label.getBoundingClientRect()));
    for (let i = 1; i < dates.length; i++) expect(dates[i].left).toBeGreaterThan(dates[i - 1].right);
    // Bar labels are read whole ("Waiting for reporter", a long project name), never cut.
    const cut = await page
      .locator('.bar-label')
      .evaluateAll((labels) => labels.filter((label) => label.scrollWidth > label.clientWidth).length);
    expect(cut).toBe(0);
    await page.locator('.bar-label', { hasText: 'A project with a rather long name for a phone' }).waitFor();
    await screenshots(page, 'stats-phone');
  });
});
