import type { Request } from 'playwright-core';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

describeWithBrowser('the ticket page: markdown, similar tickets while typing, duplicates', () => {
  let agent: Account;
  let reporter: Account;
  let crashId: string;
  let repeatId: string;
  let projectId: string;

  // The shared page is the reporter's; the agent gets a page of their own.
  const suite = useBrowserSuite(async (url) => {
    const admin = await registerAccount(url, 'root');
    agent = await registerAccount(url, 'ada');
    await setRole(url, admin, agent, 'AGENT');
    reporter = await registerAccount(url, 'rita');
    projectId = await createProject(url, admin, 'Website');
    crashId = await createTicket(url, reporter, {
      projectId,
      title: 'Login page crashes on Safari',
      description: 'Safari 17 shows a blank page after the login form.',
      category: 'BUG',
    });
    repeatId = await createTicket(url, reporter, {
      projectId,
      title: 'Safari: the login page crashes',
      description: 'After the login form Safari crashes.',
      category: 'BUG',
    });
  });

  beforeAll(async () => {
    await logIn(suite.page, suite.server.url, reporter.username, reporter.password);
  });

  it('shows the description and comments as markdown, HTML as text, and keeps the raw text to edit', async () => {
    const { page, problems, server } = suite;
    const description =
      'Steps with **bold** words, [the docs](https://example.com/docs) and <script>window.__xss=1;alert(1)</script> inline.';
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Markdown in a description',
      description,
    });
    await api(
      server.url,
      `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
      { id, input: { comment: 'Run `npm ci` first:\n\n- clear the cache\n- sign in again' } },
      agent.token,
    );

    await page.goto(`${server.url}/tickets/${id}`);
    const body = page.locator('.ticket-description');
    await body.locator('strong', { hasText: 'bold' }).waitFor();
    const link = body.getByRole('link', { name: 'the docs' });
    expect(await link.getAttribute('href')).toBe('https://example.com/docs');
    expect(await link.getAttribute('rel')).toContain('nofollow');
    expect(await body.textContent()).toContain('<script>window.__xss=1;alert(1)</script>');
    expect(await page.locator('main script').count()).toBe(0);

    const comment = page.locator('.job-comment');
    await comment.locator('code', { hasText: 'npm ci' }).waitFor();
    expect(await comment.locator('li').allTextContents()).toEqual(['clear the cache', 'sign in again']);

    // The editor edits what the author wrote, not its rendering.
    await page.getByRole('button', { name: 'Edit description' }).click();
    expect(await page.locator('#description-input').inputValue()).toBe(description);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(problems.dialogs).toEqual([]);
    await screenshots(page, 'ticket-markdown');
  });

  it('lists similar tickets under the title while the reporter types, asking once the typing pauses', async () => {
    const { page, server } = suite;
    const asked: string[] = [];
    const onRequest = (request: Request) => {
      if (request.url().endsWith('/graphql') && request.postData()?.includes('query SimilarTickets'))
        asked.push(request.postData() ?? '');
    };
    page.on('request', onRequest);
    try {
      await page.goto(`${server.url}/tickets/new`);
      await page.getByRole('heading', { name: 'New ticket' }).waitFor();
      const similar = page.locator('.similar');
      expect(await similar.getAttribute('aria-live')).toBe('polite');

      // Two characters ask nothing.
      await page.getByLabel('Title').pressSequentially('lo', { delay: 20 });
      await page.waitForTimeout(600);
      expect(asked).toHaveLength(0);

      // Nine more characters typed quickly: one question after the pause, not one per keystroke.
      await page.getByLabel('Title').pressSequentially('gin crash', { delay: 40 });
      await similar.getByRole('link', { name: `#${crashId} Login page crashes on Safari` }).waitFor();
      await similar.getByText('Is it one of these?').waitFor();
      await page.waitForTimeout(600);
      expect(asked.length).toBeGreaterThanOrEqual(1);
      expect(asked.length).toBeLessThanOrEqual(2);
      expect(asked.at(-1)).toContain('login crash');
      await screenshots(page, 'new-ticket-similar');

      // Nothing alike: the list goes away.
      await page.getByLabel('Title').fill('Printer toner is empty');
      await similar.getByRole('link').first().waitFor({ state: 'detached' });
      expect(await similar.textContent()).toBe('');
    } finally {
      page.off('request', onRequest);
    }
  });

  it('lets an agent close a ticket as a duplicate of another in one step, which its reporter then sees', async () => {
    const { browser, page, server } = suite;
    const staff = await newPage(browser);
    await logIn(staff.page, server.url, agent.username, agent.password);
    const agentPage = staff.page;
    await agentPage.goto(`${server.url}/tickets/${repeatId}`);
    const panel = agentPage.getByRole('region', { name: 'Possible duplicates' });
    await panel.getByRole('link', { name: `#${crashId} Login page crashes on Safari` }).waitFor();
    await screenshots(agentPage, 'ticket-possible-duplicates');

    // Refusals are told beside the number: itself, then a ticket that does not exist.
    const number = panel.getByLabel('Duplicate of ticket number');
    await number.fill(`#${repeatId}`);
    await panel.getByRole('button', { name: 'Close as duplicate', exact: true }).click();
    await agentPage.locator('#duplicate-of-error', { hasText: `#${repeatId} is this one` }).waitFor();
    await number.fill('999999');
    await panel.getByRole('button', { name: 'Close as duplicate', exact: true }).click();
    await agentPage.locator('#duplicate-of-error', { hasText: 'There is no ticket #999999' }).waitFor();

    await number.fill(`#${crashId}`);
    await panel.getByRole('button', { name: 'Close as duplicate', exact: true }).click();
    const notice = agentPage.locator('.duplicate-of');
    await notice.getByRole('link', { name: `#${crashId} Login page crashes on Safari` }).waitFor();
    expect(await notice.textContent()).toContain(`Closed as duplicate of #${crashId}`);
    await agentPage.locator('.ticket-badges', { hasText: 'Closed' }).waitFor();
    const closing = agentPage.locator('.timeline .job', { hasText: `closed as duplicate of #${crashId}` });
    await closing.getByRole('link', { name: `#${crashId}` }).waitFor();
    expect(await panel.count()).toBe(0);
    await screenshots(agentPage, 'ticket-duplicate-agent');
    expect(staff.problems.errors).toEqual([]);
    await agentPage.context().close();

    const saved = await api<{ ticket: { status: string; duplicateOf: { id: string } } }>(
      server.url,
      'query ($id: ID!) { ticket(id: $id) { status duplicateOf { id } } }',
      { id: repeatId },
      reporter.token,
    );
    expect(saved.ticket).toEqual({ status: 'CLOSED', duplicateOf: { id: crashId } });

    // The reporter (who filed both) reads the link, and no staff panel.
    await page.goto(`${server.url}/tickets/${repeatId}`);
    await page
      .locator('.duplicate-of')
      .getByRole('link', { name: `#${crashId} Login page crashes on Safari` })
      .click();
    await page.waitForURL(new RegExp(`/tickets/${crashId}$`));
    await page.getByRole('heading', { name: /Login page crashes on Safari/ }).waitFor();
    expect(await page.getByRole('region', { name: 'Possible duplicates' }).count()).toBe(0);
  });

  it('closes a ticket as a duplicate of a suggested one with the button beside it, in one job', async () => {
    const { browser, page, server } = suite;
    const againId = await createTicket(server.url, reporter, {
      projectId,
      title: 'Login crashes on Safari again',
      description: 'Safari shows a blank page after the login form, again.',
      category: 'BUG',
    });
    const staff = await newPage(browser);
    await logIn(staff.page, server.url, agent.username, agent.password);
    const agentPage = staff.page;
    await agentPage.goto(`${server.url}/tickets/${againId}`);
    const panel = agentPage.getByRole('region', { name: 'Possible duplicates' });
    const suggestion = panel.getByRole('listitem').filter({ hasText: 'Login page crashes on Safari' });
    await suggestion.getByRole('link', { name: `#${crashId} Login page crashes on Safari` }).waitFor();
    // The number field stays for a ticket not suggested.
    await panel.getByLabel('Duplicate of ticket number').waitFor();

    await suggestion.getByRole('button', { name: `Close as duplicate of #${crashId}` }).click();
    const notice = agentPage.locator('.duplicate-of');
    await notice.getByRole('link', { name: `#${crashId} Login page crashes on Safari` }).waitFor();
    await agentPage.locator('.ticket-badges', { hasText: 'Closed' }).waitFor();
    await agentPage.locator('.timeline .job', { hasText: `closed as duplicate of #${crashId}` }).waitFor();
    expect(await panel.count()).toBe(0);
    expect(staff.problems.errors).toEqual([]);
    expect(staff.problems.dialogs).toEqual([]);
    await agentPage.context().close();

    const saved = await api<{
      ticket: {
        status: string;
        duplicateOf: { id: string };
        jobs: { changes: { field: string; to: string }[] }[];
      };
    }>(
      server.url,
      'query ($id: ID!) { ticket(id: $id) { status duplicateOf { id } jobs { changes { field to } } } }',
      { id: againId },
      reporter.token,
    );
    expect(saved.ticket.status).toBe('CLOSED');
    expect(saved.ticket.duplicateOf).toEqual({ id: crashId });
    expect(saved.ticket.jobs).toHaveLength(2);
    expect(saved.ticket.jobs[1].changes).toEqual(
      expect.arrayContaining([
        { field: 'status', to: 'CLOSED' },
        { field: 'duplicateOf', to: crashId },
      ]),
    );

    // The reporter is told, as with the number.
    await page.goto(`${server.url}/tickets/${againId}`);
    await page
      .locator('.duplicate-of')
      .getByRole('link', { name: `#${crashId} Login page crashes on Safari` })
      .waitFor();
  });

  it('lists a ticket changed under a minute ago as updated "just now"', async () => {
    const { page, server } = suite;
    await createTicket(server.url, reporter, {
      projectId,
      title: 'Fresh ticket',
      description: 'Just filed.',
    });
    await page.goto(`${server.url}/tickets`);
    const row = page.locator('li, tr', { hasText: 'Fresh ticket' }).last();
    await row.getByText('Updated just now').waitFor();
    expect(await page.locator('main').textContent()).not.toContain('this minute');
  });

  it('at 390 px, a refused new ticket scrolls the focused title clear of the sticky header, label included', async () => {
    const { page, server } = suite;
    await page.setViewportSize({ width: 390, height: 640 });
    try {
      await page.goto(`${server.url}/tickets/new`);
      await page.locator('#title').waitFor();
      await page.locator('#description').fill('The page stays blank.');
      // Scrolled so that the title field peeks from under the header and its label is hidden by it: the
      // browser sees the field on screen and, without a scroll margin, does not scroll to it.
      const before = await page.evaluate(() => {
        const header = document.querySelector('.site-header')!.getBoundingClientRect().bottom;
        const input = document.getElementById('title')!.getBoundingClientRect().top + window.scrollY;
        window.scrollTo(0, input - header + 12);
        return {
          header,
          label: document.querySelector('label[for="title"]')!.getBoundingClientRect().bottom,
        };
      });
      expect(before.label).toBeLessThanOrEqual(before.header);
      // Sent with a click that does not scroll, as Enter in a field would.
      await page
        .getByRole('button', { name: 'Send ticket' })
        .evaluate((button: HTMLElement) => button.click());
      await page.waitForFunction(() => document.activeElement?.id === 'title');
      await page.waitForTimeout(200);
      const boxes = await page.evaluate(() => ({
        header: document.querySelector('.site-header')!.getBoundingClientRect().bottom,
        label: document.querySelector('label[for="title"]')!.getBoundingClientRect().top,
      }));
      expect(boxes.label).toBeGreaterThanOrEqual(boxes.header);
    } finally {
      await page.setViewportSize({ width: 1280, height: 900 });
    }
  });
});
