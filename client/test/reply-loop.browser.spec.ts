import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;

describeWithBrowser('the reply loop: the team waits for the reporter, who answers', () => {
  let agent: Account;
  let user: Account;
  let asked: string;
  let stillWaiting: string;

  const suite = useBrowserSuite(async (url) => {
    const admin = await registerAccount(url, 'root');
    agent = await registerAccount(url, 'ada');
    await setRole(url, admin, agent, 'AGENT');
    user = await registerAccount(url, 'ursula');
    const projectId = await createProject(url, admin, 'Billing');
    const ticket = (title: string) =>
      createTicket(url, user, { projectId, title, description: `${title}, in detail.` });
    const update = (id: string, input: Record<string, unknown>) =>
      api(url, UPDATE, { id, input }, agent.token);

    asked = await ticket('Export button does nothing');
    await update(asked, { comment: 'Thanks, looking into it.', assigneeId: agent.id });
    await update(asked, { comment: 'Which browser do you use?', status: 'WAITING' });
    // After the question: an internal note the reporter never sees, so it is not "what was asked".
    await update(asked, { comment: 'Probably the old Safari again.', internal: true });

    stillWaiting = await ticket('Footer has a typo');
    await update(stillWaiting, {
      status: 'WAITING',
      comment: `Could you paste the exact sentence? ${'We need the exact words to find it. '.repeat(6)}`,
    });

    // Updated last: newest first, it would top the list if waiting tickets were not put first.
    await ticket('Invoice total is wrong');
  });

  it('the reporter’s home lists the tickets waiting for their answer first, with what was asked', async () => {
    const { page, server } = suite;
    await logIn(page, server.url, 'ursula', user.password);
    await page.getByRole('heading', { name: 'Hello, ursula' }).waitFor();
    await page.locator('.ticket-row').first().waitFor();

    await expect(page.locator('main h2').allTextContents()).resolves.toEqual([
      expect.stringMatching(/^\s*Waiting for your answer\s*2\s*$/),
      'My other open tickets',
    ]);
    const waiting = page.getByRole('region', { name: /Waiting for your answer/ });
    await expect(waiting.locator('.ticket-title').allTextContents()).resolves.toEqual([
      'Footer has a typo',
      'Export button does nothing',
    ]);
    const row = waiting.locator('.ticket-row', { hasText: 'Export button does nothing' });
    await expect(row.locator('.asked').textContent()).resolves.toMatch(
      /ada asked:\s*Which browser do you use\?/,
    );
    await expect(row.locator('.badge-status').textContent()).resolves.toBe('Waiting for your answer');
    // A long question is cut at a word, with an ellipsis.
    const long = await waiting
      .locator('.ticket-row', { hasText: 'Footer has a typo' })
      .locator('q')
      .textContent();
    expect(long).toMatch(/^Could you paste the exact sentence\? .*…$/);
    expect(long!.length).toBeLessThanOrEqual(141);

    const rest = page.getByRole('region', { name: 'My other open tickets' });
    await expect(rest.locator('.ticket-title').allTextContents()).resolves.toEqual([
      'Invoice total is wrong',
    ]);
    await screenshots(page, 'home-user-waiting');
  });

  it('the reporter sees "Waiting for your answer" and, above the comment box, what was asked', async () => {
    const { page } = suite;
    await page.getByRole('link', { name: /Export button does nothing/ }).click();
    await page.getByRole('heading', { name: /Export button does nothing/ }).waitFor();
    await expect(page.locator('.ticket-head .badge-status').textContent()).resolves.toBe(
      'Waiting for your answer',
    );
    await expect(page.locator('.ticket-facts').textContent()).resolves.toMatch(
      /Status\s*Waiting for your answer/,
    );
    await expect(page.locator('.timeline').textContent()).resolves.toMatch(
      /ada\s*Agent\s*changed the status from Open to Waiting for your answer/,
    );

    const request = page.getByRole('note');
    await expect(request.textContent()).resolves.toContain('The team is waiting for your answer.');
    expect((await request.locator('blockquote').textContent())?.trim()).toBe('Which browser do you use?');
    await expect(request.textContent()).resolves.toContain('ada asked:');
    // Right above the comment box, which says what an answer does.
    await expect(
      page.evaluate(
        () => document.querySelector('[role="note"]')?.nextElementSibling?.querySelector('textarea')?.id,
      ),
    ).resolves.toBe('comment');
    await expect(page.locator('#comment-hint').textContent()).resolves.toContain(
      'Your answer sends the ticket back to the team.',
    );
    await page.getByRole('button', { name: 'Send answer' }).waitFor();
    await screenshots(page, 'ticket-waiting-for-reporter');
  });

  it('after the reporter answers, the ticket shows OPEN, set by the same job', async () => {
    const { page } = suite;
    // The answer's HTTP reply is held back, so the page hears its own job live first and the ticket is
    // OPEN before the mutation resolves: the notice still says what was sent (it once said "Comment added.").
    const heldBack = '**/graphql';
    await page.route(heldBack, async (route) => {
      const body = route.request().postData() ?? '';
      if (!body.includes('updateTicket')) return route.continue();
      const response = await route.fetch();
      await page.locator('.ticket-head .badge-status', { hasText: /^Open$/ }).waitFor();
      await route.fulfill({ response });
    });
    await page.getByRole('textbox', { name: 'Your answer' }).fill('Firefox 130, on Linux.');
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.getByText('Answer sent: the ticket is back with the team.').waitFor();
    await page.unroute(heldBack);
    await expect(page.locator('.ticket-head .badge-status').textContent()).resolves.toBe('Open');
    await expect(page.locator('.ticket-facts').textContent()).resolves.toMatch(/Status\s*Open/);
    const answer = page.locator('.timeline .job').last();
    await expect(answer.textContent()).resolves.toMatch(
      /ursula\s*answered, which sent the ticket back to the team.*Firefox 130/s,
    );
    await expect(page.getByRole('note').count()).resolves.toBe(0);

    await page.getByRole('link', { name: 'Home' }).first().click();
    const waiting = page.getByRole('region', { name: /Waiting for your answer/ });
    await waiting.waitFor();
    // The answered ticket leaves the section once the home is fetched again (the save made it stale).
    await waiting.getByText('Export button does nothing').waitFor({ state: 'detached' });
    await expect(waiting.locator('.ticket-title').allTextContents()).resolves.toEqual(['Footer has a typo']);
  });

  it('staff see "Waiting for reporter" in the list, on the ticket page and in the status filter', async () => {
    const { browser, server } = suite;
    const { page, problems } = await newPage(browser);
    await logIn(page, server.url, 'ada', agent.password);
    await page.goto(`${server.url}/tickets?status=WAITING`);
    const row = page.locator('.ticket-row', { hasText: 'Footer has a typo' });
    await expect(row.locator('.badge-status').textContent()).resolves.toBe('Waiting for reporter');
    await expect(page.locator('.ticket-row').count()).resolves.toBe(1);
    await expect(page.locator('#f-status option:checked').textContent()).resolves.toBe(
      'Waiting for reporter',
    );

    await row.getByRole('link').click();
    await page.getByRole('heading', { name: /Footer has a typo/ }).waitFor();
    await expect(page.locator('#side-status option:checked').textContent()).resolves.toBe(
      'Waiting for reporter',
    );
    // The banner is for the reporter only.
    await expect(page.getByRole('note').count()).resolves.toBe(0);
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('in French, the reporter reads "En attente de votre réponse"', async () => {
    const { browser, server } = suite;
    const { page, problems } = await newPage(browser, 'fr-FR');
    await api(server.url, 'mutation { updateMe(input: { locale: FR }) { id } }', {}, user.token);
    await logIn(page, server.url, 'ursula', user.password);
    await page.getByRole('heading', { name: /En attente de votre réponse/ }).waitFor();
    await page.goto(`${server.url}/tickets/${stillWaiting}`);
    await page.getByText('L’équipe attend votre réponse.').waitFor();
    await expect(page.locator('.ticket-head .badge-status').textContent()).resolves.toBe(
      'En attente de votre réponse',
    );
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });
});
