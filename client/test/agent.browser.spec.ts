import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

describeWithBrowser('an AGENT assigning and resolving a ticket, with an internal note', () => {
  let user: Account;
  let agent: Account;
  let ticketId: string;

  const suite = useBrowserSuite(async (url) => {
    const admin = await registerAccount(url, 'root');
    agent = await registerAccount(url, 'ada');
    await setRole(url, admin, agent, 'AGENT');
    await setRole(url, admin, await registerAccount(url, 'bea'), 'AGENT');
    user = await registerAccount(url, 'ursula');
    const projectId = await createProject(url, admin, 'Billing');
    await createTicket(url, user, {
      projectId,
      title: 'Old question',
      description: 'Asked first.',
      category: 'QUESTION',
    });
    ticketId = await createTicket(url, user, {
      projectId,
      title: 'Invoice total is wrong',
      description: 'The total does not add up.',
      category: 'BUG',
    });
  });

  it('sees the open tickets nobody has taken, "To pick up", on the home page, oldest first within a priority', async () => {
    const { page, server } = suite;
    await logIn(page, server.url, 'ada', agent.password);
    await page.getByRole('heading', { name: 'Hello, ada' }).waitFor();
    const waiting = page.locator('section', { has: page.getByRole('heading', { name: 'To pick up' }) });
    await waiting.locator('.ticket-title').first().waitFor();
    const titles = await waiting.locator('.ticket-title').allTextContents();
    expect(titles).toEqual(['Old question', 'Invoice total is wrong']);
    await page.getByText('No ticket is assigned to you.').waitFor();
    await screenshots(page, 'home-agent');
  });

  it('assigns the ticket to a colleague from the list of staff', async () => {
    const { page } = suite;
    await page.getByRole('link', { name: /Invoice total is wrong/ }).click();
    const picker = page.getByLabel('Assignee');
    // Every agent and admin is offered, not only "me".
    await picker.locator('option', { hasText: 'bea' }).waitFor({ state: 'attached' });
    expect(await picker.locator('option').allTextContents()).toEqual([
      'Unassigned',
      'ada (me)',
      'bea',
      'root',
    ]);
    // Saved at once, as its own job, with a few seconds to undo.
    await picker.selectOption({ label: 'bea' });
    await page.getByRole('status').filter({ hasText: 'Assigned to bea.' }).waitFor();
    await page.getByRole('button', { name: 'Undo' }).waitFor();
    await expect(page.locator('.timeline .job').last().textContent()).resolves.toMatch(
      /ada\s*Agent\s*assigned bea/,
    );
    expect(await picker.inputValue()).not.toBe('');
  });

  it('takes the ticket over with the "Assign yourself" shortcut', async () => {
    const { page } = suite;
    await page.getByRole('button', { name: 'Assign yourself' }).click();
    await page.getByRole('status').filter({ hasText: 'Assigned to ada.' }).waitFor();
    await expect(page.getByLabel('Assignee').locator('option:checked').textContent()).resolves.toBe(
      'ada (me)',
    );
    await expect(page.locator('.timeline .job').last().textContent()).resolves.toMatch(
      /reassigned it from bea to ada/,
    );
    await expect(page.getByRole('button', { name: 'Assign yourself' }).count()).resolves.toBe(0);
  });

  it('adds an internal note, marked as such', async () => {
    const { page } = suite;
    await page.getByRole('radio', { name: 'Internal note' }).check();
    await page.getByText('Only agents and admins will see this note.').waitFor();
    await page
      .getByLabel('Internal note (staff only)')
      .fill('Customer is on the legacy plan; check with finance.');
    await page.getByRole('button', { name: 'Add internal note' }).click();
    const note = page.locator('.timeline .job.internal');
    await note.waitFor();
    await expect(note.textContent()).resolves.toContain('Customer is on the legacy plan');
    await expect(note.textContent()).resolves.toContain('Internal note · staff only');
  });

  it('raises the priority, then resolves the ticket with a reply for the author', async () => {
    const { page } = suite;
    await page.getByLabel('Priority').selectOption('HIGH');
    await page.getByRole('status').filter({ hasText: 'Priority set to High.' }).waitFor();
    await page.getByRole('radio', { name: 'Reply' }).check();
    await page.getByLabel('Reply to ursula').fill('Fixed in release 1.2: the rounding was wrong.');
    await page.getByRole('button', { name: 'Send and resolve' }).click();
    await page.locator('.ticket-head .badge-status', { hasText: 'Resolved' }).waitFor();
    const jobs = page.locator('.timeline .job');
    await expect(jobs.nth(-2).textContent()).resolves.toMatch(/set the priority to High/);
    await expect(jobs.last().textContent()).resolves.toMatch(
      /changed the status from Open to Resolved.*Fixed in release 1\.2/s,
    );
    await screenshots(page, 'ticket-agent');
  });

  it('the author sees the resolution but never the internal note', async () => {
    const { server, browser } = suite;
    const { page: userPage, problems: userProblems } = await newPage(browser);
    await logIn(userPage, server.url, 'ursula', user.password);
    await userPage.goto(`${server.url}/tickets/${ticketId}`);
    await userPage.getByText('Fixed in release 1.2').waitFor();
    const body = await userPage.locator('main').textContent();
    expect(body).not.toContain('legacy plan');
    expect(body).not.toContain('Internal');
    expect(await userPage.locator('.job.internal').count()).toBe(0);
    // A USER author gets only what they may change: no status, priority or assignee controls.
    expect(await userPage.locator('#side-status, #side-priority, #side-assigneeId').count()).toBe(0);
    await expect(userPage.locator('.ticket-facts').textContent()).resolves.toMatch(/Assignee\s*ada/);
    await userPage.getByRole('button', { name: 'Reopen ticket' }).waitFor();
    await screenshots(userPage, 'ticket-user-resolved');
    expect(userProblems.errors).toEqual([]);
    await userPage.context().close();
  });
});
