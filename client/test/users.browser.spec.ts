import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

describeWithBrowser('Admin → Users: deactivating an account, and role changes that ask first', () => {
  let admin: Account;
  let bob: Account;

  // The shared page is the admin's; bob signs in on pages of his own.
  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    bob = await registerAccount(url, 'bob');
  });

  beforeAll(async () => {
    await logIn(suite.page, suite.server.url, admin.username, admin.password);
    await suite.page.goto(`${suite.server.url}/admin/users`);
    await suite.page.locator('.admin-row', { hasText: 'bob' }).waitFor();
  });

  const roleOf = async (account: Account) => {
    const { users } = await api<{ users: { id: string; role: string }[] }>(
      suite.server.url,
      '{ users { id role } }',
      {},
      admin.token,
    );
    return users.find((user) => user.id === account.id)?.role;
  };

  /** Signs bob in through the form on a fresh page; the page is returned, at the login form or home. */
  async function bobSignsIn() {
    const { page, problems } = await newPage(suite.browser);
    await page.goto(`${suite.server.url}/login`);
    await page.locator('#login').fill('bob');
    await page.locator('#password').fill(bob.password);
    await page.locator('form button[type="submit"]').click();
    return { page, problems };
  }

  it('deactivates bob after a confirmation: his right password is then told why he cannot sign in', async () => {
    const { page } = suite;
    const row = page.locator('.admin-row', { hasText: 'bob' });
    // Nobody deactivates themself: no button on one's own row.
    expect(await page.locator('.admin-row', { hasText: 'root' }).getByRole('button').count()).toBe(0);

    // Cancel first: nothing changes.
    await row.getByRole('button', { name: 'Deactivate bob' }).click();
    const question = row.getByRole('group', { name: /Deactivate bob\?/ });
    await question.getByRole('button', { name: 'Cancel' }).click();
    await question.waitFor({ state: 'detached' });
    expect(await page.evaluate(() => document.activeElement?.id)).toMatch(/^deactivate-/);

    await row.getByRole('button', { name: 'Deactivate bob' }).click();
    await question.getByRole('button', { name: 'Deactivate' }).click();
    await row.getByText('Deactivated', { exact: true }).waitFor();
    await page.getByText('bob is deactivated.').waitFor();
    await row.getByRole('button', { name: 'Reactivate bob' }).waitFor();
    await screenshots(page, 'admin-users-deactivated');

    const attempt = await bobSignsIn();
    await attempt.page
      .getByRole('alert')
      .getByText('This account has been deactivated: ask an administrator.')
      .waitFor();
    expect(new URL(attempt.page.url()).pathname).toBe('/login');
    expect(attempt.problems.errors).toEqual([]);
    await attempt.page.context().close();
  });

  it('reactivates bob, who can sign in again', async () => {
    const { page } = suite;
    const row = page.locator('.admin-row', { hasText: 'bob' });
    await row.getByRole('button', { name: 'Reactivate bob' }).click();
    await page.getByText('bob can sign in again.').waitFor();
    await row.getByRole('button', { name: 'Deactivate bob' }).waitFor();
    expect(await row.getByText('Deactivated', { exact: true }).count()).toBe(0);

    const attempt = await bobSignsIn();
    await attempt.page.getByRole('heading', { name: 'Hello, bob' }).waitFor();
    expect(attempt.problems.errors).toEqual([]);
    await attempt.page.context().close();
  });

  it('asks before changing a role; a cancelled change puts the select back', async () => {
    const { page } = suite;
    const select = page.getByLabel('Role of bob');
    await select.selectOption('AGENT');
    const question = page.getByRole('group', { name: 'Change the role of bob to Agent?' });
    await question.getByRole('button', { name: 'Cancel' }).click();
    await question.waitFor({ state: 'detached' });
    expect(await select.inputValue()).toBe('USER');
    expect(await roleOf(bob)).toBe('USER');
  });

  it('puts the select back to the real role, with the reason beside it, when the last admin is not demoted', async () => {
    const { page } = suite;
    const select = page.getByLabel('Role of root');
    await select.selectOption('USER');
    await page
      .getByRole('group', { name: 'Change the role of root to User?' })
      .getByRole('button', { name: 'Change role' })
      .click();
    const reason = page.locator(`#role-${admin.id}-error`);
    await reason.getByText('The last admin cannot stop being an admin').waitFor();
    expect(await select.inputValue()).toBe('ADMIN');
    expect(await select.getAttribute('aria-describedby')).toBe(`role-${admin.id}-error`);
    expect(await roleOf(admin)).toBe('ADMIN');
    await screenshots(page, 'admin-users-last-admin');
  });
});
