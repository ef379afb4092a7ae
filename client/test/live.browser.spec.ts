import type { Page, WebSocket } from 'playwright-core';
import { describeWithBrowser, logIn, newPage, type PageProblems } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;

interface SavedTicket {
  ticket: {
    assignee: { username: string } | null;
    jobs: { comment: string | null; internal: boolean; author: { username: string } }[];
  };
}

describeWithBrowser('live updates: pages change as others act, without a reload', () => {
  let admin: Account;
  let ada: Account;
  let bob: Account;
  let rita: Account;
  let projectId: string;
  let longId: string;

  // The shared page is Ada's (an agent); the others act through the API or a page of their own.
  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    ada = await registerAccount(url, 'ada');
    await setRole(url, admin, ada, 'AGENT');
    bob = await registerAccount(url, 'bob');
    await setRole(url, admin, bob, 'AGENT');
    rita = await registerAccount(url, 'rita');
    projectId = await createProject(url, admin, 'Website');
    longId = await createTicket(url, rita, {
      projectId,
      title: 'Checkout fails with a long basket',
      description: 'With more than forty items in the basket, the checkout page shows an error.',
    });
    // A conversation longer than the screen, so what arrives next is below the fold.
    for (let index = 1; index <= 8; index += 1) {
      await api(
        url,
        UPDATE,
        {
          id: longId,
          input: {
            comment: `Step ${index} of the investigation.\n\n${'We looked at the logs of the checkout service and found nothing unusual there. '.repeat(4)}`,
          },
        },
        index % 2 ? ada.token : rita.token,
      );
    }
  });

  const saved = (id: string, token = ada.token) =>
    api<SavedTicket>(
      suite.server.url,
      `query ($id: ID!) { ticket(id: $id) { assignee { username } jobs { comment internal author { username } } } }`,
      { id },
      token,
    );

  async function pageOf(account: Account): Promise<{ page: Page; problems: PageProblems }> {
    const opened = await newPage(suite.browser);
    await logIn(opened.page, suite.server.url, account.username, account.password);
    return opened;
  }

  /** Resolves once the page has sent graphql-ws's "subscribe": from then on, events reach it. */
  function subscribed(page: Page): Promise<void> {
    return new Promise((resolve) => {
      const onSocket = (socket: WebSocket) => {
        if (!socket.url().endsWith('/graphql')) return;
        socket.on('framesent', (frame) => {
          if (!String(frame.payload).includes('"subscribe"')) return;
          page.off('websocket', onSocket);
          resolve();
        });
      };
      page.on('websocket', onSocket);
    });
  }

  /** The ticket page is shown and its live subscription is open on the server. */
  async function openTicket(page: Page, id: string, title: RegExp) {
    const live = subscribed(page);
    await page.goto(`${suite.server.url}/tickets/${id}`);
    await page.getByRole('heading', { level: 1, name: title }).waitFor();
    await live;
  }

  beforeAll(async () => {
    await logIn(suite.page, suite.server.url, ada.username, ada.password);
  });

  it('shows a comment written in another browser, with a "new update" marker, and keeps a half-typed reply', async () => {
    const { page } = suite;
    await openTicket(page, longId, /Checkout fails with a long basket/);
    await page.evaluate(() => window.scrollTo(0, 0));
    const reporter = await pageOf(rita);
    await reporter.page.goto(`${suite.server.url}/tickets/${longId}`);
    await reporter.page.locator('#comment').fill('It also fails with exactly forty items.');
    await reporter.page.getByRole('button', { name: 'Comment', exact: true }).click();
    await reporter.page.getByText('Comment added.').waitFor();

    // Below the fold on Ada's page: the entry is there, and a marker says so without moving anything.
    const entry = page.locator('.timeline .job', { hasText: 'It also fails with exactly forty items.' });
    await entry.waitFor({ state: 'attached' });
    const marker = page.getByRole('button', { name: '1 new update' });
    await marker.waitFor();
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    await marker.click();
    await page.waitForFunction(() => document.activeElement?.classList.contains('job') ?? false);
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toContain(
      'It also fails with exactly forty items.',
    );
    await expect(marker.count()).resolves.toBe(0);
    await expect(entry.isVisible()).resolves.toBe(true);

    // Ada starts a reply; Rita writes again: the reply stays as typed, focused, where it was on screen.
    const box = page.locator('#comment');
    await box.click();
    await box.pressSequentially('Thanks, we are looking at the basket si');
    const before = await box.boundingBox();
    await reporter.page.locator('#comment').fill('And the error code is E-4012.');
    await reporter.page.getByRole('button', { name: 'Comment', exact: true }).click();
    await page.locator('.timeline .job', { hasText: 'And the error code is E-4012.' }).waitFor();
    await expect(box.inputValue()).resolves.toBe('Thanks, we are looking at the basket si');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('comment');
    const after = await box.boundingBox();
    expect(Math.abs((after?.y ?? 0) - (before?.y ?? 0))).toBeLessThanOrEqual(2);
    // She goes on typing where she was.
    await page.keyboard.type('ze.');
    await expect(box.inputValue()).resolves.toBe('Thanks, we are looking at the basket size.');

    // Each comment is on the server once; Ada's page shows each once.
    const jobs = (await saved(longId)).ticket.jobs.filter((job) => job.author.username === 'rita');
    expect(jobs.map((job) => job.comment).slice(-2)).toEqual([
      'It also fails with exactly forty items.',
      'And the error code is E-4012.',
    ]);
    await expect(
      page.locator('.timeline .job', { hasText: 'It also fails with exactly forty items.' }).count(),
    ).resolves.toBe(1);
    expect(reporter.problems.errors).toEqual([]);
    await reporter.page.context().close();
  });

  it('shows it when another agent takes the ticket, and her own reply only once', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, rita, {
      projectId,
      title: 'Invoice PDF is blank',
      description: 'The PDF of my last invoice has no text.',
    });
    await openTicket(page, id, /Invoice PDF is blank/);
    const assignee = page.locator('#side-assigneeId');
    await expect(assignee.inputValue()).resolves.toBe('');

    // Ada is on the priority select when Bob changes it with the assignee: her select keeps what she
    // is looking at until she leaves it.
    const priority = page.locator('#side-priority');
    await priority.focus();
    const where = await priority.boundingBox();
    await api(server.url, UPDATE, { id, input: { assigneeId: bob.id, priority: 'HIGH' } }, bob.token);
    await page.getByText('bob assigned this to themselves.').waitFor();
    await page.waitForFunction(
      (bobId) => (document.getElementById('side-assigneeId') as HTMLSelectElement)?.value === bobId,
      bob.id,
    );
    await page.locator('.ticket-badges', { hasText: 'High' }).waitFor();
    await expect(priority.inputValue()).resolves.toBe('NORMAL');
    // The notice above pushed nothing under her: the select is where it was on the screen.
    expect(Math.abs(((await priority.boundingBox())?.y ?? 0) - (where?.y ?? 0))).toBeLessThanOrEqual(2);
    await priority.blur();
    await page.waitForFunction(
      () => (document.getElementById('side-priority') as HTMLSelectElement).value === 'HIGH',
    );
    expect((await saved(id)).ticket.assignee).toEqual({ username: 'bob' });

    // Her own reply: shown once, though it comes back from the server live too.
    await page.locator('#comment').fill('Could you attach the PDF?');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await page.locator('.timeline .job', { hasText: 'Could you attach the PDF?' }).waitFor();
    await page.waitForTimeout(500);
    await expect(
      page.locator('.timeline .job', { hasText: 'Could you attach the PDF?' }).count(),
    ).resolves.toBe(1);
    await expect(page.getByRole('button', { name: /new update/ }).count()).resolves.toBe(0);
  });

  it('never shows the reporter an internal note, live or not', async () => {
    const { server } = suite;
    const id = await createTicket(server.url, rita, {
      projectId,
      title: 'Password reset email never arrives',
      description: 'I asked three times.',
    });
    const reporter = await pageOf(rita);
    await openTicket(reporter.page, id, /Password reset email never arrives/);

    await api(
      server.url,
      UPDATE,
      { id, input: { comment: 'Her domain bounces our mail.', internal: true } },
      ada.token,
    );
    await api(
      server.url,
      UPDATE,
      { id, input: { comment: 'We are checking our mail server.', status: 'IN_PROGRESS' } },
      ada.token,
    );
    // The public reply and the new status arrive; the note, written before it, never does.
    await reporter.page.locator('.timeline .job', { hasText: 'We are checking our mail server.' }).waitFor();
    await reporter.page.locator('.ticket-badges', { hasText: 'In progress' }).waitFor();
    await expect(reporter.page.getByText('Her domain bounces our mail.').count()).resolves.toBe(0);
    await expect(reporter.page.locator('.timeline .job.internal').count()).resolves.toBe(0);
    const mine = (await saved(id, rita.token)).ticket.jobs;
    expect(mine.some((job) => job.internal)).toBe(false);
    expect(reporter.problems.errors).toEqual([]);
    await reporter.page.context().close();
  });

  it('adds a ticket opened elsewhere to the list in place, keeping the focus', async () => {
    const { page, server } = suite;
    const live = subscribed(page);
    await page.goto(`${server.url}/tickets`);
    const rows = page.locator('main').getByRole('link', { name: /Password reset email never arrives/ });
    await rows.waitFor();
    await live;
    await rows.focus();

    await createTicket(server.url, rita, {
      projectId,
      title: 'Dark mode makes the buttons invisible',
      description: 'White text on a white button.',
    });
    await page
      .locator('main')
      .getByRole('link', { name: /Dark mode makes the buttons invisible/ })
      .waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent ?? '')).toContain(
      'Password reset email never arrives',
    );
    await expect(page.locator('.loading').count()).resolves.toBe(0);
  });

  it('updates the agent\'s "To pick up" and the reporter\'s home as tickets are opened and taken', async () => {
    const { page, server } = suite;
    const live = subscribed(page);
    await page.goto(`${server.url}/`);
    const toPickUp = page.getByRole('region', { name: /To pick up/ });
    await toPickUp.getByRole('link').first().waitFor();
    await live;
    const reporter = await pageOf(rita);
    const reporterLive = subscribed(reporter.page);
    await reporter.page.goto(`${server.url}/`);
    await reporter.page.getByRole('heading', { name: 'Hello, rita' }).waitFor();
    await reporterLive;

    const id = await createTicket(server.url, rita, {
      projectId,
      title: 'Export to CSV drops the last row',
      description: 'The last ticket of the list is missing from the file.',
    });
    const row = toPickUp.getByRole('link', { name: /Export to CSV drops the last row/ });
    await row.waitFor();
    await reporter.page.getByRole('link', { name: /Export to CSV drops the last row/ }).waitFor();

    // Bob takes it and asks Rita a question: it leaves Ada's list, and waits for Rita's answer on hers.
    await api(
      server.url,
      UPDATE,
      { id, input: { assigneeId: bob.id, comment: 'Which browser?', status: 'WAITING' } },
      bob.token,
    );
    await row.waitFor({ state: 'detached' });
    const waiting = reporter.page.getByRole('region', { name: /Waiting for your answer/ });
    await waiting.getByRole('link', { name: /Export to CSV drops the last row/ }).waitFor();
    await waiting.getByText('Which browser?').waitFor();
    expect(reporter.problems.errors).toEqual([]);
    await reporter.page.context().close();
  });

  it('sends to the login page, without trying again, when the session ends while the page listens', async () => {
    const { server } = suite;
    // An agent of her own: the other accounts' tokens go on being used.
    const cara = await registerAccount(server.url, 'cara');
    await setRole(server.url, admin, cara, 'AGENT');
    const caras = await pageOf(cara);
    await openTicket(caras.page, longId, /Checkout fails with a long basket/);
    const attempts: string[] = [];
    caras.page.on('websocket', (socket) => attempts.push(socket.url()));

    // A new password elsewhere signs out every other session: the server closes this page's socket.
    await api(
      server.url,
      `mutation ($input: UpdateMeInput!) { updateMe(input: $input) { id } }`,
      { input: { currentPassword: cara.password, newPassword: 'Another-Horse-Battery-77' } },
      cara.token,
    );
    await caras.page.waitForURL((url) => url.pathname === '/login');
    expect(new URL(caras.page.url()).searchParams.get('next')).toBe(`/tickets/${longId}`);
    await caras.page.waitForTimeout(2500);
    expect(attempts).toEqual([]);
    await expect(caras.page.getByText('Reconnecting…').count()).resolves.toBe(0);
    expect(caras.problems.errors).toEqual([]);
    await caras.page.context().close();
  });

  it('says it is offline while the network is gone, and catches up once it is back', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, rita, {
      projectId,
      title: 'Notifications arrive twice',
      description: 'Every email comes in two copies.',
    });
    await openTicket(page, id, /Notifications arrive twice/);
    const offline = page.getByText('Offline: reconnecting when the network is back…');
    await page.context().setOffline(true);
    await offline.waitFor();
    await api(server.url, UPDATE, { id, input: { comment: 'One copy per address now.' } }, bob.token);
    // Longer than the first retry's wait (1 s at most): no attempt is made while offline (Chromium would
    // log its failure as an error, which the suite refuses).
    await page.waitForTimeout(1500);
    await expect(page.getByText('One copy per address now.').count()).resolves.toBe(0);

    await page.context().setOffline(false);
    await page.locator('.timeline .job', { hasText: 'One copy per address now.' }).waitFor();
    await offline.waitFor({ state: 'detached' });
    await expect(page.getByText('Reconnecting…').count()).resolves.toBe(0);
  });

  it('says it is reconnecting while the server restarts, then catches up on what it missed', async () => {
    const { page, server, problems } = suite;
    const id = await createTicket(server.url, rita, {
      projectId,
      title: 'Search ignores accents',
      description: 'Searching "cafe" does not find "café".',
    });
    // While `blocked`, the page's attempts to reconnect fail: the comment below is written while the
    // server is back but this page is not, so only the catch-up can bring it.
    let blocked = false;
    await page.routeWebSocket(/\/graphql$/, (socket) => {
      if (blocked) void socket.close({ code: 1012, reason: 'Service Restart' });
      else socket.connectToServer();
    });
    await page.goto(`${server.url}/tickets/${id}`);
    await page.getByRole('heading', { level: 1, name: /Search ignores accents/ }).waitFor();
    // Live first: a comment arrives without a reload.
    await page.waitForTimeout(300);
    await api(server.url, UPDATE, { id, input: { comment: 'Reproduced on the staging server.' } }, bob.token);
    await page.locator('.timeline .job', { hasText: 'Reproduced on the staging server.' }).waitFor();
    const reconnecting = page.getByText('Reconnecting…');
    await expect(reconnecting.count()).resolves.toBe(0);

    await server.restart(async () => {
      blocked = true;
      await reconnecting.waitFor();
    });
    await api(
      server.url,
      UPDATE,
      { id, input: { comment: 'Fixed in the next release.', status: 'RESOLVED' } },
      bob.token,
    );
    await page.waitForTimeout(1000);
    await expect(reconnecting.isVisible()).resolves.toBe(true);
    await expect(page.getByText('Fixed in the next release.').count()).resolves.toBe(0);

    blocked = false;
    await page
      .locator('.timeline .job', { hasText: 'Fixed in the next release.' })
      .waitFor({ timeout: 45_000 });
    await page.locator('.ticket-badges', { hasText: 'Resolved' }).waitFor();
    await reconnecting.waitFor({ state: 'detached' });
    // And live again after it.
    await api(
      server.url,
      UPDATE,
      { id, input: { comment: 'Reopening: still there on mobile.', status: 'OPEN' } },
      rita.token,
    );
    await page.locator('.timeline .job', { hasText: 'Reopening: still there on mobile.' }).waitFor();
    // The browser logs the refused connections while the server was down: expected here only.
    problems.errors = problems.errors.filter((error) => !/WebSocket/i.test(error));
  }, 90_000);
});
