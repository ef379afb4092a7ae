import { describeWithBrowser, screenshots } from './support/browser';
import { api, createTicket, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

describeWithBrowser('an ADMIN managing projects and users', () => {
  const suite = useBrowserSuite();
  let bob: Account;

  it('registers the first account, which is ADMIN, and sees the admin home', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/register`);
    await page.getByLabel('Username').fill('boss');
    await page.getByLabel('Email').fill('boss@example.com');
    await page.getByLabel('Password').fill('Correct-Horse-Battery-42');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { name: 'Hello, boss' }).waitFor();
    await page.getByText('No project yet').waitFor();
  });

  it('creates, renames and archives a project', async () => {
    const { page } = suite;
    // One click from the header: the admin links sit beside the main ones on a desktop.
    await page
      .getByRole('navigation', { name: 'Administration' })
      .getByRole('link', { name: 'Projects' })
      .click();
    await page.getByRole('heading', { name: 'Projects', exact: true }).waitFor();
    await page.getByLabel('Name').fill('Intranet');
    await page.getByLabel('Description').fill('The internal portal');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText('Project “Intranet” created.').waitFor();
    const row = page.locator('.admin-row', { hasText: 'Intranet' });
    await row.waitFor();

    await row.getByRole('button', { name: /Edit/ }).click();
    const editForm = page.locator('.admin-row form');
    await editForm.getByLabel('Name').fill('Intranet v2');
    await editForm.getByRole('button', { name: 'Save' }).click();
    await page
      .locator('.admin-row', { hasText: 'Intranet v2' })
      .getByRole('button', { name: /Archive/ })
      .waitFor();

    // A duplicate name is refused by the server, and the message shows next to the field.
    await page.getByLabel('Name').first().fill('Intranet v2');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.locator('#project-name-error').waitFor();

    await page.getByLabel('Name').first().fill('Website');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByText('Project “Website” created.').waitFor();

    await page
      .locator('.admin-row', { hasText: 'Intranet v2' })
      .getByRole('button', { name: /Archive/ })
      .click();
    await page.locator('.admin-row', { hasText: 'Intranet v2' }).getByText('Archived').waitFor();
    await screenshots(page, 'admin-projects');
  });

  it('changes the role of a user', async () => {
    const { page, server } = suite;
    bob = await registerAccount(server.url, 'bob');
    await page.goto(`${server.url}/admin/users`);
    await page.getByRole('heading', { name: 'Users' }).waitFor();
    await page.getByLabel('Role of bob').selectOption('AGENT');
    // A change of role asks first.
    await page
      .getByRole('group', { name: 'Change the role of bob to Agent?' })
      .getByRole('button', { name: 'Change role' })
      .click();
    await page.getByText('bob is now Agent.').waitFor();
    const me = await api<{ me: { role: string } }>(server.url, '{ me { role } }', {}, bob.token);
    expect(me.me.role).toBe('AGENT');
    await screenshots(page, 'admin-users');
  });

  it('sees the open projects with their counts and the figures on the home page', async () => {
    const { page, server } = suite;
    const projects = await api<{ projects: { id: string; name: string }[] }>(
      server.url,
      '{ projects { id name } }',
      {},
      bob.token,
    );
    const website = projects.projects.find((p) => p.name === 'Website')!;
    const carol = await registerAccount(server.url, 'carol');
    for (const [title, category] of [
      ['Login is slow', 'BUG'],
      ['Add a dark mode', 'IMPROVEMENT'],
      ['How do I export?', 'QUESTION'],
    ]) {
      await createTicket(server.url, carol, {
        projectId: website.id,
        title,
        description: `${title}, details.`,
        category,
      });
    }
    await page.getByRole('link', { name: 'Simple Ticketing' }).click();
    await page.getByRole('heading', { name: 'Hello, boss' }).waitFor();
    const card = page.locator('.project-card', { hasText: 'Website' });
    await card.getByText('3', { exact: true }).waitFor();
    expect(await page.locator('.project-card', { hasText: 'Intranet' }).count()).toBe(0);
    await screenshots(page, 'home-admin');
  });

  it('shows the statistics as charts', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/admin/stats`);
    await page.getByRole('heading', { name: 'Tickets per week' }).waitFor();
    // The three tickets opened this week make the last bar non-empty.
    await page.locator('.chart svg rect.bar-opened:not([height="0"])').first().waitFor();
    await page.locator('.bar-list li', { hasText: 'Bug' }).waitFor();
    await page.getByLabel('Period').selectOption('4');
    await page.waitForFunction(() => document.querySelectorAll('.chart svg rect.bar-opened').length <= 6);
    await page.locator('.chart svg rect.bar-opened:not([height="0"])').first().waitFor();
    await screenshots(page, 'admin-stats');
  });

  it('opens the GraphQL playground, which runs queries as the admin', async () => {
    const { page } = suite;
    await page.getByRole('button', { name: 'boss' }).click();
    await page.getByRole('link', { name: 'GraphQL playground' }).click();
    await page.waitForURL(/\/playground$/);
    await page.locator('.graphiql-container').waitFor({ timeout: 20_000 });
    // Monaco loads its editor and workers after the container: run once the query is in the editor.
    await page
      .locator('.graphiql-query-editor .view-lines', { hasText: 'query Me' })
      .waitFor({ timeout: 20_000 });
    await page.locator('.graphiql-execute-button').click();
    await page.locator('.graphiql-response').getByText('boss').first().waitFor({ timeout: 20_000 });
    await screenshots(page, 'playground');
  });
});
