import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

describeWithBrowser('languages, safety, sessions and the lookup by number', () => {
  let user: Account;
  let other: Account;
  let francoise: Account;
  let projectId: string;

  // Each test opens its own page, in its own language or session.
  const suite = useBrowserSuite(
    async (url) => {
      const admin = await registerAccount(url, 'root');
      user = await registerAccount(url, 'louise');
      other = await registerAccount(url, 'oscar');
      francoise = await registerAccount(url, 'francoise');
      projectId = await createProject(url, admin, 'Support');
    },
    { sharedPage: false },
  );

  it('speaks the browser language first, then the one chosen in the menu, and saves it', async () => {
    const { browser, server } = suite;
    const { page, problems } = await newPage(browser, 'fr-FR');
    await page.goto(`${server.url}/login`);
    await page.getByRole('heading', { name: 'Connexion' }).waitFor();
    await screenshots(page, 'login-fr');

    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    expect(await page.getAttribute('html', 'lang')).toBe('en');

    await logIn(page, server.url, 'francoise', francoise.password);
    await page.getByRole('heading', { name: 'Hello, francoise' }).waitFor();
    await page.getByRole('button', { name: 'francoise' }).click();
    await page.getByRole('button', { name: 'Français' }).click();
    await page.getByRole('heading', { name: 'Bonjour, francoise' }).waitFor();
    await expect(page.getByRole('link', { name: 'Nouveau ticket' }).first().isVisible()).resolves.toBe(true);

    // Saved with the account: me.locale is FR, and a fresh visit starts in French.
    const savedLocale = async () =>
      (await api<{ me: { locale: string } }>(server.url, '{ me { locale } }', {}, francoise.token)).me.locale;
    for (let tries = 0; tries < 20 && (await savedLocale()) !== 'FR'; tries += 1)
      await page.waitForTimeout(100);
    expect(await savedLocale()).toBe('FR');
    await page.evaluate(() => localStorage.clear());
    await page.reload();
    await page.getByRole('heading', { name: 'Bonjour, francoise' }).waitFor();
    await screenshots(page, 'home-user-fr');
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('shows HTML in a ticket title and description as text, running nothing', async () => {
    const { browser, server } = suite;
    const title = '<img src=x onerror="window.__xss=1;alert(1)"> Broken <b>bold</b>';
    const description =
      '<script>window.__xss=2;alert(2)</script>\n<iframe src="javascript:alert(3)"></iframe>';
    const id = await createTicket(server.url, user, { projectId, title, description });
    const { page, problems } = await newPage(browser);
    await logIn(page, server.url, 'louise', user.password);

    await page.goto(`${server.url}/tickets`);
    const link = page.locator('.ticket-link', { hasText: 'Broken' });
    await link.waitFor();
    expect(await link.locator('.ticket-title').textContent()).toBe(title);

    await link.click();
    await page.waitForURL(new RegExp(`/tickets/${id}$`));
    await page.locator('h1').waitFor();
    expect(await page.locator('h1').textContent()).toContain(title);
    // Rendered as markdown: the HTML is text of a paragraph (whose rendering ends with a line break).
    expect((await page.locator('.ticket-description').textContent())?.trim()).toBe(description);
    expect(await page.locator('main img, main script, main iframe, main b').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(problems.dialogs).toEqual([]);
    expect(problems.errors).toEqual([]);
    await screenshots(page, 'ticket-xss');
    await page.context().close();
  });

  it('opens a ticket by its number from the header, or says it is not there', async () => {
    const { browser, server } = suite;
    const mine = await createTicket(server.url, user, {
      projectId,
      title: 'Lookup me',
      description: 'By number.',
    });
    const theirs = await createTicket(server.url, other, {
      projectId,
      title: 'Not yours',
      description: 'Private.',
    });
    const { page, problems } = await newPage(browser);
    await logIn(page, server.url, 'louise', user.password);

    await page.getByLabel('Go to ticket number').fill(`#${mine}`);
    await page.getByLabel('Go to ticket number').press('Enter');
    await page.waitForURL(new RegExp(`/tickets/${mine}$`));
    await page.getByRole('heading', { name: /Lookup me/ }).waitFor();

    for (const missing of [theirs, '99999']) {
      await page.getByLabel('Go to ticket number').fill(missing);
      await page.getByRole('button', { name: 'Go' }).click();
      await page.getByText(`Ticket #${missing} does not exist, or is not yours.`).first().waitFor();
      expect(new URL(page.url()).pathname).toBe(`/tickets/${mine}`);
    }
    // The same answer on the ticket page itself, reached by its address.
    await page.goto(`${server.url}/tickets/${theirs}`);
    await page.getByRole('heading', { name: `Ticket #${theirs}` }).waitFor();
    await page.getByText(`Ticket #${theirs} does not exist, or is not yours.`).waitFor();
    await screenshots(page, 'ticket-not-found');
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('sends an expired session to the login page, then back where it was', async () => {
    const { browser, server } = suite;
    const { page, problems } = await newPage(browser);
    await logIn(page, server.url, 'louise', user.password);
    await page.goto(`${server.url}/tickets?q=is:open`);
    await page.getByRole('heading', { name: 'My tickets' }).waitFor();

    // End the session behind the page's back, as an expiry would: log out with the browser's own cookie.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'st_session');
    expect(cookie?.httpOnly).toBe(true);
    await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: `st_session=${cookie!.value}` },
      body: JSON.stringify({ query: 'mutation { logout }' }),
    });

    // The list's live connection hears that the session ended and sends the page to the login at once,
    // before anything is typed into a page that can no longer save it.
    await page.waitForURL(/\/login\?next=/);
    const next = new URL(decodeURIComponent(new URL(page.url()).searchParams.get('next')!), server.url);
    expect([next.pathname, next.searchParams.get('q')]).toEqual(['/tickets', 'is:open']);
    await page.getByText('Please log in to continue.').waitFor();
    await page.locator('#login').fill('louise');
    await page.locator('#password').fill(user.password);
    await page.locator('form button[type="submit"]').click();
    await page.waitForURL((url) => url.pathname === '/tickets' && url.searchParams.get('q') === 'is:open');
    await page.getByRole('heading', { name: 'My tickets' }).waitFor();
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('never keeps the session token where scripts can read it', async () => {
    const { browser, server } = suite;
    const { page } = await newPage(browser);
    await logIn(page, server.url, 'louise', user.password);
    const readable = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify(localStorage),
      session: JSON.stringify(sessionStorage),
    }));
    expect(readable.cookie).not.toContain('st_session');
    expect(readable.local).not.toMatch(/eyJ|token/i);
    expect(readable.session).not.toMatch(/eyJ|token/i);
    await page.context().close();
  });
});
