import type { Page } from 'playwright-core';
import { axeViolations, BLOCKING_IMPACTS } from './support/accessibility';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import {
  api,
  createProject,
  createTicket,
  PASSWORD,
  registerAccount,
  setRole,
  type Account,
} from './support/server';
import { useBrowserSuite } from './support/suite';

// What a newcomer met after setting the service up: the link for reporters (where it lands, where to find
// it again), and how the statistics, the menu and the navigation read.

describeWithBrowser('sharing the service: the reporter link, statistics, menu and navigation', () => {
  let admin: Account;
  let marie: Account;
  let projectId: string;
  let archivedId: string;

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    // Two open projects: the form does not pick the only one by itself, so the link's choice is what counts.
    await createProject(url, admin, 'Website');
    projectId = await createProject(url, admin, 'Mobile app', 'The phone app');
    archivedId = await createProject(url, admin, 'Old website');
    await api(
      url,
      `mutation ($id: ID!) { updateProject(id: $id, input: { archived: true }) { id } }`,
      { id: archivedId },
      admin.token,
    );
    // A French-speaking admin: her account's language is the one her pages speak.
    marie = await registerAccount(url, 'marie');
    await setRole(url, admin, marie, 'ADMIN');
    await api(url, `mutation { updateMe(input: { locale: FR }) { id } }`, {}, marie.token);
    await createTicket(url, admin, { projectId, title: 'Crash at launch', description: 'It closes.' });
  });

  const shareLink = () => `${suite.server.url}/tickets/new?project=${projectId}`;

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

  it('greets a reporter who opens the shared link signed out, and brings them to the form once signed up', async () => {
    const { page, problems } = await newPage(suite.browser);
    await page.goto(shareLink());
    await page.waitForURL((url) => url.pathname === '/login');
    const main = page.locator('main');
    await main.getByRole('heading', { name: 'Report a problem', level: 1 }).waitFor();
    await main
      .getByText('Create an account or log in to send your ticket; you’ll follow its progress here.')
      .waitFor();
    expect(await main.textContent()).not.toContain('Please log in to continue.');

    // Creating an account comes first, as the page's main button, above the login form; it is the only
    // way to the sign-up page, so it keeps the way back to the form.
    const create = main.getByRole('link', { name: 'Create an account' });
    const registerLinks = main.locator('a[href^="/register"]');
    expect(await registerLinks.count()).toBe(1);
    expect(await create.getAttribute('href')).toBe(
      `/register?next=${encodeURIComponent(`/tickets/new?project=${projectId}`)}`,
    );
    const button = (await create.boundingBox())!;
    const field = (await page.locator('#login').boundingBox())!;
    expect(button.y + button.height).toBeLessThan(field.y);
    expect(button.height).toBeGreaterThanOrEqual(44);
    expect(button.width).toBeGreaterThanOrEqual(field.width * 0.95);
    const colours = await create.evaluate((link) => {
      const style = getComputedStyle(link);
      return { background: style.backgroundColor, color: style.color };
    });
    expect(colours.color).toBe('rgb(255, 255, 255)');
    expect(colours.background).not.toBe('rgba(0, 0, 0, 0)');
    // The login form is still there for someone who has an account.
    await main.getByText('Already have an account? Log in:').waitFor();
    await main.getByRole('button', { name: 'Log in' }).waitFor();
    await screenshots(page, 'reporter-landing');
    expect(await blockingViolations(page)).toEqual([]);

    await create.click();
    await page.waitForURL((url) => url.pathname === '/register');
    await page.locator('#username').fill('rita');
    await page.locator('#email').fill('rita@example.com');
    await page.locator('#password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(shareLink());
    await page.getByRole('heading', { name: 'New ticket', level: 1 }).waitFor();
    expect(await page.locator('#projectId').inputValue()).toBe(projectId);
    expect(await page.locator('#projectId option:checked').textContent()).toBe('Mobile app');
    const me = await page.evaluate(async () => {
      const response = await fetch('/graphql', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ query: '{ me { username role } }' }),
      });
      return ((await response.json()) as { data: { me: { username: string; role: string } | null } }).data.me;
    });
    expect(me).toEqual({ username: 'rita', role: 'USER' });
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('greets the reporter in French too, and keeps the usual login for any other page', async () => {
    const { page, problems } = await newPage(suite.browser, 'fr-FR');
    await page.goto(shareLink());
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByRole('heading', { name: 'Signaler un problème', level: 1 }).waitFor();
    await page.locator('main').getByRole('link', { name: 'Créer un compte' }).waitFor();

    // Another page asked signed out: the usual login, with its reason.
    await page.goto(`${suite.server.url}/tickets?open=true`);
    await page.waitForURL((url) => url.pathname === '/login');
    await page.getByRole('heading', { name: 'Connexion', level: 1 }).waitFor();
    await page.getByText('Connectez-vous pour continuer.').waitFor();
    expect(await page.locator('main').textContent()).not.toContain('Signaler un problème');
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('copies the reporter link of each open project from the Projects page', async () => {
    const { page } = suite;
    const url = suite.server.url;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: url });
    await logIn(page, url, admin.username, admin.password);
    await page.evaluate(() => localStorage.removeItem('st_reporter_link_copied'));
    await page.goto(`${url}/admin/projects`);
    const row = page.locator('.admin-row', { hasText: 'Mobile app' });
    await row.waitFor();

    // The row's report is the printable one, not "report a ticket".
    const report = row.getByRole('link', { name: /^Printable report Mobile app/ });
    expect(await report.getAttribute('href')).toBe(`/api/projects/${projectId}/report`);

    await row.getByRole('button', { name: 'Copy link for reporters Mobile app' }).click();
    await row.getByRole('status').getByText('Link copied').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(shareLink());
    // The first-run checklist counts it as shared.
    expect(await page.evaluate(() => localStorage.getItem('st_reporter_link_copied'))).toBe('true');
    // An archived project takes no tickets: no link to give.
    const archived = page.locator('.admin-row', { hasText: 'Old website' });
    await archived.getByText('Archived').waitFor();
    expect(await archived.getByRole('button', { name: /Copy link/ }).count()).toBe(0);
    expect(await blockingViolations(page)).toEqual([]);

    // Refused by the browser: the link shows, selected, with what to press.
    await page.evaluate(() => {
      Object.defineProperty(Clipboard.prototype, 'writeText', {
        value: () => Promise.reject(new DOMException('Denied', 'NotAllowedError')),
      });
    });
    await row.getByRole('button', { name: 'Copy link for reporters Mobile app' }).click();
    await row.getByRole('status').getByText('press Ctrl+C').waitFor();
    const box = row.getByRole('textbox', { name: 'Link to report a ticket on Mobile app' });
    expect(await box.inputValue()).toBe(shareLink());
    const selection = await page.evaluate(() => {
      const input = document.activeElement as HTMLInputElement;
      return { id: input.id, selected: input.value.slice(input.selectionStart!, input.selectionEnd!) };
    });
    expect(selection).toEqual({ id: `reporter-link-${projectId}`, selected: shareLink() });
    await screenshots(page, 'projects-copy-link');
  });

  /** The selects whose chosen text, plus padding and the arrow, is wider than the select: cut on screen. */
  async function cutSelects(page: Page): Promise<string[]> {
    return page.locator('main select').evaluateAll((selects) =>
      (selects as HTMLSelectElement[])
        .filter((select) => {
          const style = getComputedStyle(select);
          const context = document.createElement('canvas').getContext('2d')!;
          context.font = style.font;
          const text = context.measureText(select.selectedOptions[0]?.text ?? '').width;
          // Chromium draws the arrow inside the box, on the right, in about 20 px.
          const arrow = 24;
          const needed = text + parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + arrow;
          return select.scrollWidth > select.clientWidth || needed > select.clientWidth;
        })
        .map((select) => select.id),
    );
  }

  it('shows the statistics filters whole on a phone, in French, and tells created tickets from open ones', async () => {
    const { page, problems } = await newPage(suite.browser, 'fr-FR');
    await page.setViewportSize({ width: 390, height: 844 });
    await logIn(page, suite.server.url, marie.username, marie.password);
    await page.goto(`${suite.server.url}/admin/stats`);
    await page.locator('.bar-list').first().waitFor();
    expect(await page.locator('#s-project option:checked').textContent()).toBe('Tous les projets');
    expect(await page.locator('#s-period option:checked').textContent()).toBe('26 dernières semaines');
    expect(await cutSelects(page)).toEqual([]);
    // Each select keeps its label above it, inside the page.
    for (const id of ['s-project', 's-period']) {
      const box = (await page.locator(`#${id}`).boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(390);
    }
    // A custom period keeps every control whole too.
    await page.locator('#s-period').selectOption('custom');
    await page.locator('#s-from').waitFor();
    expect(await cutSelects(page)).toEqual([]);

    // The tile counts the tickets open now; the chart, the tickets created each week: two words.
    await page.locator('.figure', { hasText: 'Ouverts' }).waitFor();
    const legend = (await page.locator('.chart .legend').textContent()) ?? '';
    expect(legend).toContain('Créés');
    expect(legend).toContain('Fermés');
    expect(legend).not.toContain('Ouverts');
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('shows the language choice of the phone menu on clean lines', async () => {
    const { page, problems } = await newPage(suite.browser);
    await page.setViewportSize({ width: 390, height: 844 });
    await logIn(page, suite.server.url, admin.username, admin.password);
    await page.getByRole('button', { name: 'root' }).click();
    const group = page.getByRole('group', { name: 'Language' });
    const [label, english, french] = await group.evaluate((element) =>
      [...element.children].map((child) => {
        const box = child.getBoundingClientRect();
        const lineHeight = parseFloat(getComputedStyle(child).lineHeight) || 20;
        return { top: box.top, bottom: box.bottom, lines: Math.round(child.scrollHeight / lineHeight) };
      }),
    );
    // The two languages side by side, under (or beside) the word "Language", each on one line.
    expect(english.top).toBe(french.top);
    expect(label.bottom <= english.top || label.top >= english.top - 8).toBe(true);
    expect(label.lines).toBe(1);
    await page.getByRole('button', { name: 'Français' }).waitFor();
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('marks "New ticket" as the current page on the new-ticket form, and "Tickets" on the list', async () => {
    const { page, problems } = await newPage(suite.browser);
    await logIn(page, suite.server.url, admin.username, admin.password);
    const nav = page.getByRole('navigation', { name: 'Main' });
    const current = () =>
      nav
        .locator('a[aria-current="page"]')
        .evaluateAll((links) => links.map((link) => link.textContent?.trim()));

    await nav.getByRole('link', { name: 'New ticket' }).click();
    await page.getByRole('heading', { name: 'New ticket', level: 1 }).waitFor();
    expect(await current()).toEqual(['New ticket']);

    await nav.getByRole('link', { name: 'Tickets' }).click();
    await page.waitForURL((url) => url.pathname === '/tickets');
    await page.waitForFunction(() => !document.querySelector('a[href="/tickets/new"][aria-current]'));
    expect(await current()).toEqual(['Tickets']);

    // The phone menu says the same.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${suite.server.url}/tickets/new`);
    await page.getByRole('heading', { name: 'New ticket', level: 1 }).waitFor();
    await page.getByRole('button', { name: 'root' }).click();
    const menuCurrent = await page
      .locator('#main-menu a[aria-current="page"]')
      .evaluateAll((links) => links.map((link) => link.textContent?.trim()));
    expect(menuCurrent).toEqual(['New ticket']);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
