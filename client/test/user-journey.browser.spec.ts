import { describeWithBrowser, screenshots } from './support/browser';
import { createProject, registerAccount } from './support/server';
import { useBrowserSuite } from './support/suite';

describeWithBrowser('a USER, from registration to closing their ticket', () => {
  // The first account becomes ADMIN; the user of this journey registers second, through the UI.
  const suite = useBrowserSuite(async (url) => {
    const admin = await registerAccount(url, 'root');
    await createProject(url, admin, 'Website', 'The public site');
    await createProject(url, admin, 'Mobile app');
  });

  it('shows the server validation message next to the field, then registers', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/register`);
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await screenshots(page, 'register');
    await page.getByLabel('Username').fill('alice');
    await page.getByLabel('Email').fill('not-an-email');
    await page.getByLabel('Password').fill('Correct-Horse-Battery-42');
    await page.getByRole('button', { name: 'Create account' }).click();
    const emailError = page.locator('#email-error');
    await emailError.waitFor();
    expect((await emailError.textContent())?.length).toBeGreaterThan(0);
    await screenshots(page, 'register-invalid');

    await page.getByLabel('Email').fill('alice@example.com');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, alice' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/');
    await page.getByText('No open tickets').waitFor();
    await screenshots(page, 'home-user-empty');
  });

  it('drops a ticket and lands on its page', async () => {
    const { page } = suite;
    await page.getByRole('link', { name: 'New ticket' }).first().click();
    await page.getByRole('heading', { name: 'New ticket' }).waitFor();
    await page.getByLabel('Project').selectOption({ label: 'Website' });
    await page.getByLabel('Title').fill('The printer page is blank');
    await page.getByLabel('Description').fill('When I open /printer the page is empty.\nSecond line.');
    await page.getByLabel('Category').selectOption('BUG');
    await screenshots(page, 'new-ticket');
    await page.getByRole('button', { name: 'Send ticket' }).click();
    await page.waitForURL(/\/tickets\/\d+$/);
    await page.getByRole('heading', { name: /The printer page is blank/ }).waitFor();
    await page.getByText('opened this ticket').waitFor();
  });

  it('finds the ticket in the list with a search kept in the URL', async () => {
    const { page, server } = suite;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Tickets' }).click();
    await page.getByRole('heading', { name: 'My tickets' }).waitFor();
    await page.getByLabel('Search').fill('printer');
    await page.waitForURL(/q=printer/);
    const row = page.getByRole('link', { name: /The printer page is blank/ });
    await row.waitFor();
    await screenshots(page, 'ticket-list-user');

    // A filter that excludes it empties the list; the view can be shared by its URL.
    const bar = page.getByRole('searchbox', { name: 'Search or filter' });
    await bar.fill('printer is:closed');
    await bar.press('Enter');
    await page.waitForURL((url) => url.searchParams.get('q') === 'printer is:closed');
    await page.getByText('No ticket matches these filters').waitFor();
    await page.goto(`${server.url}/tickets?q=printer&open=true`);
    await row.waitFor();
    await row.click();
    await page.waitForURL(/\/tickets\/\d+$/);
  });

  it('edits the ticket and sees the change in the history', async () => {
    const { page } = suite;
    await page.getByRole('button', { name: 'Edit title' }).click();
    await page.getByLabel('Title', { exact: true }).fill('The printer page is blank on Firefox');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: /blank on Firefox/ }).waitFor();
    await page.getByLabel('Comment', { exact: true }).fill('Only on Firefox, it seems.');
    await page.getByRole('button', { name: 'Comment', exact: true }).click();
    const jobs = page.locator('.timeline .job');
    await jobs.filter({ hasText: 'Only on Firefox, it seems.' }).waitFor();
    await expect(jobs.nth(-2).textContent()).resolves.toContain(
      'changed the title from The printer page is blank to The printer page is blank on Firefox',
    );
    await screenshots(page, 'ticket-user');
  });

  it('closes the ticket, then logs out from the menu', async () => {
    const { page, server } = suite;
    await page.getByRole('button', { name: 'Close ticket' }).click();
    await page.getByRole('button', { name: 'Reopen ticket' }).waitFor();
    const lastJob = page.locator('.timeline .job').last();
    await expect(lastJob.textContent()).resolves.toMatch(/changed the status from Open to Closed/);

    await page.getByRole('button', { name: 'alice' }).click();
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(/\/login$/);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    // The session is gone: a protected page sends back to the login page.
    await page.goto(`${server.url}/tickets`);
    await page.waitForURL(/\/login\?next=%2Ftickets/);
  });
});
