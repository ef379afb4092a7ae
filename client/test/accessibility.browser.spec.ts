import type { Page } from 'playwright-core';
import { axeViolations, BLOCKING_IMPACTS, focusIsVisible } from './support/accessibility';
import { describeWithBrowser, logIn, newPage, type PageProblems } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

type Role = 'anonymous' | 'user' | 'agent' | 'admin';

interface View {
  name: string;
  as: Role;
  path: () => string;
  /** What shows once the view is complete (data loaded), beyond its h1. */
  ready?: string;
  /** Steps after loading, to check a state the address alone does not give (errors, an open menu). */
  prepare?: (page: Page) => Promise<void>;
}

describeWithBrowser('accessibility: axe finds no serious or critical WCAG 2 A/AA violation', () => {
  let accounts: Record<Exclude<Role, 'anonymous'>, Account>;
  let ticketId: string;
  let duplicateId: string;
  const pages = {} as Record<Role, { page: Page; problems: PageProblems }>;

  const suite = useBrowserSuite(async (url) => {
    const admin = await registerAccount(url, 'root');
    const agent = await registerAccount(url, 'ada');
    await setRole(url, admin, agent, 'AGENT');
    const user = await registerAccount(url, 'ursula');
    accounts = { admin, agent, user };
    const billing = await createProject(url, admin, 'Billing', 'Invoices and payments');
    const website = await createProject(url, admin, 'Website');
    ticketId = await createTicket(url, user, {
      projectId: billing,
      title: 'Invoice total is wrong',
      description: 'The total does not add up.',
      category: 'BUG',
    });
    await createTicket(url, agent, {
      projectId: website,
      title: 'Payment page is down',
      description: 'Every visitor gets an error.',
      priority: 'URGENT',
    });
    const update = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;
    // Status and priority badges of several colours, an internal note and comments in the history.
    await api(
      url,
      update,
      { id: ticketId, input: { assigneeId: agent.id, status: 'IN_PROGRESS' } },
      agent.token,
    );
    await api(url, update, { id: ticketId, input: { comment: 'Checking.', internal: true } }, agent.token);
    await api(
      url,
      update,
      { id: ticketId, input: { comment: 'More details?', status: 'WAITING' } },
      agent.token,
    );
    // A ticket closed as a duplicate of the first: its notice and the "Duplicate of" line of the history.
    duplicateId = await createTicket(url, user, {
      projectId: billing,
      title: 'Invoice total is wrong again',
      description: 'The **total** does not add up, see [the invoice](https://example.com/invoice).',
    });
    await api(url, update, { id: duplicateId, input: { duplicateOfId: ticketId } }, agent.token);
  });

  beforeAll(async () => {
    pages.anonymous = { page: suite.page, problems: suite.problems };
    for (const role of ['user', 'agent', 'admin'] as const) {
      pages[role] = await newPage(suite.browser);
      await logIn(pages[role].page, suite.server.url, accounts[role].username, accounts[role].password);
    }
  });

  afterEach(() => {
    for (const { problems } of Object.values(pages)) expect(problems.errors).toEqual([]);
  });

  const views: View[] = [
    { name: 'login', as: 'anonymous', path: () => '/login' },
    {
      name: 'login with a wrong password',
      as: 'anonymous',
      path: () => '/login',
      prepare: async (page) => {
        await page.locator('#login').fill('nobody');
        await page.locator('#password').fill('not-the-password');
        await page.locator('form button[type="submit"]').click();
        await page.locator('#login-error').waitFor();
      },
    },
    { name: 'register', as: 'anonymous', path: () => '/register' },
    {
      name: 'register with field errors',
      as: 'anonymous',
      path: () => '/register',
      prepare: async (page) => {
        await page.locator('#username').fill('x');
        await page.locator('#email').fill('not-an-email');
        await page.locator('#password').fill('short');
        await page.locator('form button[type="submit"]').click();
        await page.locator('#email-error').waitFor();
      },
    },
    { name: 'home of a user', as: 'user', path: () => '/', ready: '.ticket-row' },
    { name: 'home of an agent', as: 'agent', path: () => '/', ready: '.ticket-row' },
    { name: 'home of an admin', as: 'admin', path: () => '/', ready: '.project-card' },
    {
      name: 'menu open',
      as: 'admin',
      path: () => '/',
      ready: '.project-card',
      prepare: async (page) => {
        await page.getByRole('button', { name: 'root' }).click();
        await page.locator('#main-menu').waitFor();
      },
    },
    {
      name: 'keyboard shortcuts dialog',
      as: 'agent',
      path: () => '/',
      ready: '.ticket-row',
      prepare: async (page) => {
        await page.keyboard.press('?');
        await page.getByRole('dialog').waitFor();
      },
    },
    {
      name: 'first-run checklist, unfolded',
      as: 'admin',
      path: () => '/',
      ready: 'details.setup-done',
      prepare: async (page) => {
        await page.locator('details.setup-done summary').click();
        await page.locator('#reporter-link').waitFor();
      },
    },
    { name: 'ticket list of a user', as: 'user', path: () => '/tickets', ready: '.ticket-row' },
    { name: 'ticket list of an agent', as: 'agent', path: () => '/tickets', ready: '.ticket-row' },
    {
      name: 'ticket list: query bar with chips, a problem, the filter menus and the save-view form',
      as: 'agent',
      path: () =>
        `/tickets?q=${encodeURIComponent('is:open assignee:none priority:normal,high statu:x words')}`,
      ready: '.filter-chips',
      prepare: async (page) => {
        await page.locator('#f-problems').waitFor();
        await page.getByRole('button', { name: /^Filters/ }).click();
        await page.locator('#f-status').waitFor();
        await page.getByRole('button', { name: '+ Save view' }).click();
        await page.locator('#view-name').waitFor();
      },
    },
    {
      name: 'ticket list: rows selected and the bulk bar',
      as: 'agent',
      path: () => '/tickets',
      ready: '.row-select',
      prepare: async (page) => {
        await page.locator('#select-page').check();
        await page.locator('.bulk-bar').waitFor();
      },
    },
    {
      name: 'ticket page with the comment box (user)',
      as: 'user',
      path: () => `/tickets/${ticketId}`,
      ready: '.comment-form',
    },
    {
      name: 'ticket page with the comment box and properties (agent)',
      as: 'agent',
      path: () => `/tickets/${ticketId}`,
      ready: '#side-assigneeId option:nth-child(3)',
    },
    {
      name: 'ticket page writing an internal note, title and description in edit (agent)',
      as: 'agent',
      path: () => `/tickets/${ticketId}`,
      ready: '#side-assigneeId option:nth-child(3)',
      prepare: async (page) => {
        await page.getByRole('radio', { name: 'Internal note' }).check();
        await page.getByRole('button', { name: 'Edit title' }).click();
        await page.getByRole('button', { name: 'Edit description' }).click();
        await page.locator('#description-input').waitFor();
      },
    },
    {
      name: 'ticket closed as a duplicate, with markdown (user)',
      as: 'user',
      path: () => `/tickets/${duplicateId}`,
      ready: '.duplicate-of a',
    },
    { name: 'new ticket', as: 'user', path: () => '/tickets/new', ready: '#projectId' },
    {
      name: 'new ticket with similar tickets under the title',
      as: 'user',
      path: () => '/tickets/new',
      ready: '#projectId',
      prepare: async (page) => {
        await page.locator('#title').fill('invoice total');
        await page.locator('.similar a').first().waitFor();
      },
    },
    {
      name: 'new ticket refused in the browser (required fields)',
      as: 'user',
      path: () => '/tickets/new',
      ready: '#projectId',
      prepare: async (page) => {
        await page.getByRole('button', { name: 'Send ticket' }).click();
        await page.locator('#description-error').waitFor();
      },
    },
    { name: 'settings', as: 'user', path: () => '/settings' },
    {
      name: 'settings, the password form refused in the browser',
      as: 'user',
      path: () => '/settings',
      ready: '#currentPassword',
      prepare: async (page) => {
        await page.getByRole('button', { name: 'Change password' }).click();
        await page.locator('#newPassword-error').waitFor();
      },
    },
    { name: 'settings of an agent', as: 'agent', path: () => '/settings', ready: '#locale' },
    { name: 'forgot password', as: 'anonymous', path: () => '/forgot-password' },
    { name: 'reset password', as: 'anonymous', path: () => '/reset-password?token=unchecked-until-sent' },
    {
      name: 'verify email with an invalid link',
      as: 'anonymous',
      path: () => '/verify-email?token=not-a-real-link',
      ready: '.banner-error',
    },
    { name: 'unsubscribe', as: 'anonymous', path: () => '/unsubscribe?token=1.unchecked-until-pressed' },
    { name: 'admin projects', as: 'admin', path: () => '/admin/projects', ready: '.admin-row' },
    { name: 'admin users', as: 'admin', path: () => '/admin/users', ready: '.admin-row' },
    {
      name: 'admin users, asking to confirm a deactivation and a role change',
      as: 'admin',
      path: () => '/admin/users',
      ready: '.admin-row',
      prepare: async (page) => {
        await page.getByRole('button', { name: 'Deactivate ursula' }).click();
        await page.getByLabel('Role of ada').selectOption('USER');
        await page.getByRole('group', { name: 'Change the role of ada to User?' }).waitFor();
      },
    },
    { name: 'admin statistics', as: 'admin', path: () => '/stats', ready: '.team-table' },
    {
      name: 'admin statistics, custom dates',
      as: 'admin',
      path: () =>
        `/stats?period=custom&from=${new Date(Date.now() - 60 * 86_400_000).toISOString().slice(0, 10)}`,
      ready: '.bar-list',
    },
    {
      name: 'admin statistics, every chart shown as a table',
      as: 'admin',
      path: () => '/stats?period=30d',
      ready: '.team-table',
      prepare: async (page) => {
        for (const toggle of await page.locator('.chart-toggle').all()) await toggle.click();
        await page.locator('.chart-card table').first().waitFor();
      },
    },
    { name: 'statistics of an agent', as: 'agent', path: () => '/stats', ready: '.team-table' },
    {
      name: 'statistics of a user, their own tickets',
      as: 'user',
      path: () => '/stats',
      ready: '.stats-figures',
    },
    { name: 'admin outbox', as: 'admin', path: () => '/admin/outbox', ready: '.outbox-row' },
    {
      name: 'admin outbox, none failed',
      as: 'admin',
      path: () => '/admin/outbox?state=FAILED',
      ready: '.empty',
    },
    { name: 'admin webhooks', as: 'admin', path: () => '/admin/webhooks', ready: '#new-webhook-url' },
    {
      name: 'admin webhooks, a URL refused by the server',
      as: 'admin',
      path: () => '/admin/webhooks',
      ready: '#new-webhook-url',
      prepare: async (page) => {
        await page.locator('#new-webhook-url').fill('not an address');
        await page.getByRole('button', { name: 'Add webhook' }).click();
        await page.locator('#new-webhook-url-error').waitFor();
      },
    },
    {
      // Last of the agent's views: from here on the agent's page cannot reconnect.
      name: 'ticket page while the live connection is down (agent)',
      as: 'agent',
      path: () => `/tickets/${ticketId}`,
      ready: '#side-assigneeId option:nth-child(3)',
      prepare: async (page) => {
        if (!liveBlocked.has(page)) {
          liveBlocked.add(page);
          await page.routeWebSocket(/\/graphql$/, (socket) =>
            socket.close({ code: 1012, reason: 'Service Restart' }),
          );
        }
        await page.reload();
        await page.getByText('Reconnecting…').waitFor();
      },
    },
  ];
  const liveBlocked = new WeakSet<Page>();

  it.each(views)('$name, at 1280 px and at 390 px', async (view) => {
    const { page } = pages[view.as];
    const found: string[] = [];
    for (const [width, height] of [
      [1280, 900],
      [390, 844],
    ]) {
      await page.setViewportSize({ width, height });
      await page.goto(`${suite.server.url}${view.path()}`);
      await page.locator('main h1').waitFor();
      if (view.ready) await page.locator(view.ready).first().waitFor({ state: 'attached' });
      await page.waitForFunction(() => !document.querySelector('.loading, .stale'));
      await view.prepare?.(page);
      for (const violation of await axeViolations(page)) {
        if (BLOCKING_IMPACTS.includes(violation.impact)) found.push(`${width} px ${violation.text}`);
      }
    }
    // One readable line per rule broken, with the elements at fault; [] when the view passes.
    expect(found).toEqual([]);
  });
});

describeWithBrowser('accessibility: keyboard only', () => {
  let user: Account;
  const suite = useBrowserSuite(async (url) => {
    const admin = await registerAccount(url, 'root');
    user = await registerAccount(url, 'kim');
    await createProject(url, admin, 'Billing');
    await createProject(url, admin, 'Website');
  });

  /** Presses Tab until the element with this id, or this text, has the focus; the focus must show at every stop. */
  async function tabTo(page: Page, target: { id: string } | { text: string }, stops = 30) {
    for (let stop = 0; stop < stops; stop += 1) {
      await page.keyboard.press('Tab');
      const focus = await focusIsVisible(page);
      expect(focus).toEqual({ element: focus.element, visible: true });
      const reached = await page.evaluate(
        (wanted) =>
          'id' in wanted
            ? document.activeElement?.id === wanted.id
            : document.activeElement?.textContent?.trim() === wanted.text,
        target,
      );
      if (reached) return;
    }
    throw new Error(`Tab never reached ${JSON.stringify(target)} in ${stops} stops.`);
  }

  it('logs in, opens "New ticket", fills and sends the form with Tab, Enter and typing only', async () => {
    const { page } = suite;
    await page.goto(`${suite.server.url}/login`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    // The form shows once the page knows the service has accounts.
    await page.locator('#login').waitFor();

    await tabTo(page, { id: 'login' });
    await page.keyboard.type('kim');
    await tabTo(page, { id: 'password' });
    await page.keyboard.type(user.password);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Hello, kim' }).waitFor();

    await tabTo(page, { text: 'New ticket' });
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'New ticket' }).waitFor();

    await tabTo(page, { id: 'projectId' });
    // Typing on a closed select picks the first option that starts with what is typed.
    await page.keyboard.type('Website');
    await tabTo(page, { id: 'title' });
    await page.keyboard.type('Keyboard-only ticket');
    await tabTo(page, { id: 'description' });
    await page.keyboard.type('Written without a mouse.');
    await tabTo(page, { id: 'category' });
    await page.keyboard.type('Bug');
    await tabTo(page, { text: 'Send ticket' });
    await page.keyboard.press('Enter');

    await page.waitForURL(/\/tickets\/\d+$/);
    await page.getByRole('heading', { name: /Keyboard-only ticket/ }).waitFor();
    await expect(page.locator('.ticket-facts').textContent()).resolves.toMatch(/Project\s*Website/);
    await expect(page.locator('#side-category option:checked').textContent()).resolves.toBe('Bug');
  });
});
