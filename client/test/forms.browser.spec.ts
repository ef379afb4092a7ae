import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn, newPage } from './support/browser';
import { api, createProject, PASSWORD, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

// Forms check what they can before sending (an empty required field: nothing is sent), say every
// refusal beside its field in the user's language (never the server's English in French), and move the
// focus to the first field that needs attention.

interface Texts {
  locale: string;
  register: string;
  usernameRequired: string;
  emailRequired: string;
  passwordRequired: string;
  usernameTaken: string;
  passwordLength: string;
  sendTicket: string;
  chooseProject: string;
  titleRequired: string;
  descriptionRequired: string;
  titleLength: string;
  changePassword: string;
  currentRequired: string;
  newRequired: string;
  currentWrong: string;
  addWebhook: string;
  urlRequired: string;
  urlFormat: string;
}

const languages: [string, Texts][] = [
  [
    'English',
    {
      locale: 'en-GB',
      register: 'Create account',
      usernameRequired: 'Choose a username.',
      emailRequired: 'Type your email address.',
      passwordRequired: 'Type a password.',
      usernameTaken: 'This username is already taken.',
      passwordLength:
        'The password must have 8 to 128 characters and fit in 72 bytes (accented letters and emoji take several bytes each).',
      sendTicket: 'Send ticket',
      chooseProject: 'Choose a project.',
      titleRequired: 'Give your ticket a title.',
      descriptionRequired: 'Describe what happens.',
      titleLength: 'A title has 3 to 200 characters.',
      changePassword: 'Change password',
      currentRequired: 'Type your current password.',
      newRequired: 'Type your new password.',
      currentWrong: 'Your current password is not right.',
      addWebhook: 'Add webhook',
      urlRequired: 'Type the address that receives the events.',
      urlFormat: 'Type a full address, like https://hooks.example.com/ticketing.',
    },
  ],
  [
    'French',
    {
      locale: 'fr-FR',
      register: 'Créer le compte',
      usernameRequired: 'Choisissez un nom d’utilisateur.',
      emailRequired: 'Saisissez votre adresse e-mail.',
      passwordRequired: 'Saisissez un mot de passe.',
      usernameTaken: 'Ce nom d’utilisateur est déjà pris.',
      passwordLength:
        'Le mot de passe doit compter de 8 à 128 caractères et tenir en 72 octets (lettres accentuées et emoji en prennent plusieurs).',
      sendTicket: 'Envoyer le ticket',
      chooseProject: 'Choisissez un projet.',
      titleRequired: 'Donnez un titre à votre ticket.',
      descriptionRequired: 'Décrivez ce qui se passe.',
      titleLength: 'Un titre compte de 3 à 200 caractères.',
      changePassword: 'Changer le mot de passe',
      currentRequired: 'Saisissez votre mot de passe actuel.',
      newRequired: 'Saisissez votre nouveau mot de passe.',
      currentWrong: 'Votre mot de passe actuel n’est pas le bon.',
      addWebhook: 'Ajouter le webhook',
      urlRequired: 'Saisissez l’adresse qui recevra les événements.',
      urlFormat: 'Saisissez une adresse complète, comme https://hooks.example.com/ticketing.',
    },
  ],
];

/** The server's own (English) wording of the refusals above, which must never reach a French page. */
const SERVER_ENGLISH = [
  'is required',
  'must be',
  'already taken',
  'is not your current password',
  'absolute https URL',
];

/** Counts the page's GraphQL requests, to prove a refused form sent nothing. */
function graphqlRequests(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on('request', (request) => {
    if (new URL(request.url()).pathname === '/graphql') seen.count += 1;
  });
  return seen;
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? '');
const errorOf = (page: Page, id: string) => page.locator(`#${id}-error`);

async function expectError(page: Page, id: string, text: string): Promise<void> {
  await errorOf(page, id).waitFor();
  await expect(errorOf(page, id).textContent()).resolves.toBe(text);
  const control = page.locator(`#${id}`);
  await expect(control.getAttribute('aria-invalid')).resolves.toBe('true');
  await expect(control.getAttribute('aria-describedby')).resolves.toContain(`${id}-error`);
}

async function setLocale(url: string, account: Account, locale: 'EN' | 'FR') {
  await api(
    url,
    'mutation ($l: Locale!) { updateMe(input: { locale: $l }) { id } }',
    { l: locale },
    account.token,
  );
}

describeWithBrowser(
  'forms: checked before sending, refusals in the user’s language beside their field',
  () => {
    const accounts: Record<string, Account> = {};

    const suite = useBrowserSuite(
      async (url) => {
        accounts.root = await registerAccount(url, 'root');
        for (const name of ['ann', 'zoe', 'amelie', 'adam'])
          accounts[name] = await registerAccount(url, name);
        await setRole(url, accounts.root, accounts.amelie, 'ADMIN');
        await setRole(url, accounts.root, accounts.adam, 'ADMIN');
        await setLocale(url, accounts.zoe, 'FR');
        await setLocale(url, accounts.amelie, 'FR');
        await createProject(url, accounts.root, 'Website');
        await createProject(url, accounts.root, 'Billing');
      },
      { sharedPage: false },
    );

    const usernames = async () => {
      const { users } = await api<{ users: { username: string }[] }>(
        suite.server.url,
        '{ users { username } }',
        {},
        accounts.root.token,
      );
      return users.map((user) => user.username);
    };

    describe.each(languages)('in %s', (language, text) => {
      const fr = language === 'French';
      const reporter = fr ? 'zoe' : 'ann';
      const admin = fr ? 'amelie' : 'adam';

      async function open(path: string, as?: string) {
        const { page, problems } = await newPage(suite.browser, text.locale);
        if (as) await logIn(page, suite.server.url, as, PASSWORD);
        await page.goto(`${suite.server.url}${path}`);
        await page.locator('main h1').waitFor();
        return { page, problems, requests: graphqlRequests(page) };
      }

      /** The page says nothing of the server's English (in French), and nothing the console complained of. */
      async function close(page: Page, problems: { errors: string[] }) {
        if (fr) {
          const body = (await page.locator('main').textContent()) ?? '';
          for (const english of SERVER_ENGLISH)
            expect([english, body.includes(english)]).toEqual([english, false]);
        }
        expect(problems.errors).toEqual([]);
        await page.context().close();
      }

      it('Register: empty fields are refused in the browser, nothing is sent, the focus goes to the first', async () => {
        const { page, problems, requests } = await open('/register');
        await page.locator('#username').waitFor();
        const before = requests.count;
        await page.getByRole('button', { name: text.register }).click();
        await expectError(page, 'username', text.usernameRequired);
        await expectError(page, 'email', text.emailRequired);
        await expectError(page, 'password', text.passwordRequired);
        await expect(focusedId(page)).resolves.toBe('username');
        await expect(page.locator('#username').getAttribute('aria-required')).resolves.toBe('true');

        // Fixed as typed: the username's message goes; the next submit focuses the email.
        await page.locator('#username').fill(`new-${text.locale}`);
        await errorOf(page, 'username').waitFor({ state: 'detached' });
        await page.getByRole('button', { name: text.register }).click();
        await expect(focusedId(page)).resolves.toBe('email');
        await page.waitForTimeout(300);
        expect(requests.count).toBe(before);
        await close(page, problems);
      });

      it('Register: the server’s refusals (a taken username, a short password) are said in the language', async () => {
        const { page, problems, requests } = await open('/register');
        await page.locator('#username').fill('root');
        await page.locator('#email').fill(`someone-${text.locale}@example.com`);
        await page.locator('#password').fill(PASSWORD);
        await page.getByRole('button', { name: text.register }).click();
        await expectError(page, 'username', text.usernameTaken);
        await expect(focusedId(page)).resolves.toBe('username');
        expect(requests.count).toBeGreaterThan(0);

        await page.locator('#username').fill(`short-${text.locale}`);
        await page.locator('#password').fill('short');
        await page.getByRole('button', { name: text.register }).click();
        await expectError(page, 'password', text.passwordLength);
        await expect(focusedId(page)).resolves.toBe('password');
        await expect(errorOf(page, 'username').count()).resolves.toBe(0);
        expect(await usernames()).not.toContain(`short-${text.locale}`);
        await close(page, problems);
      });

      it('New ticket: project, title and description are required before sending; a short title is refused', async () => {
        const { page, problems, requests } = await open('/tickets/new', reporter);
        await page.locator('#title').waitFor();
        const before = requests.count;
        await page.getByRole('button', { name: text.sendTicket }).click();
        await expectError(page, 'projectId', text.chooseProject);
        await expectError(page, 'title', text.titleRequired);
        await expectError(page, 'description', text.descriptionRequired);
        await expect(focusedId(page)).resolves.toBe('projectId');
        await page.waitForTimeout(300);
        expect(requests.count).toBe(before);

        await page.locator('#projectId').selectOption({ label: 'Website' });
        await page.locator('#description').fill('The page stays blank.');
        await page.getByRole('button', { name: text.sendTicket }).click();
        await expect(focusedId(page)).resolves.toBe('title');
        expect(requests.count).toBe(before);

        // Two characters: only the server knows the length rule; its refusal is said in the language.
        await page.locator('#title').fill('ab');
        await page.getByRole('button', { name: text.sendTicket }).click();
        await expectError(page, 'title', text.titleLength);
        await expect(focusedId(page)).resolves.toBe('title');
        expect(new URL(page.url()).pathname).toBe('/tickets/new');
        const { tickets } = await api<{ tickets: { totalCount: number } }>(
          suite.server.url,
          '{ tickets { totalCount } }',
          {},
          accounts[reporter].token,
        );
        expect(tickets.totalCount).toBe(0);
        await close(page, problems);
      });

      it('Settings: the password form asks for both passwords, then says a wrong current one', async () => {
        const { page, problems, requests } = await open('/settings', reporter);
        const submit = page.getByRole('button', { name: text.changePassword });
        await submit.waitFor();
        const before = requests.count;
        await submit.click();
        await expectError(page, 'currentPassword', text.currentRequired);
        await expectError(page, 'newPassword', text.newRequired);
        await expect(focusedId(page)).resolves.toBe('currentPassword');
        await page.waitForTimeout(300);
        expect(requests.count).toBe(before);

        await page.locator('#currentPassword').fill('not-my-password');
        await page.locator('#newPassword').fill('a new long passphrase of mine');
        await submit.click();
        await expectError(page, 'currentPassword', text.currentWrong);
        await expect(focusedId(page)).resolves.toBe('currentPassword');
        // Still the old password: the refused change changed nothing.
        await api(suite.server.url, 'mutation ($i: LoginInput!) { login(input: $i) { user { id } } }', {
          i: { login: reporter, password: PASSWORD },
        });
        await close(page, problems);
      });

      it('Webhooks: an empty URL is refused in the browser, a malformed one by the server, beside the URL', async () => {
        const { page, problems, requests } = await open('/admin/webhooks', admin);
        const add = page.getByRole('button', { name: text.addWebhook });
        await add.waitFor();
        const before = requests.count;
        await add.click();
        await expectError(page, 'new-webhook-url', text.urlRequired);
        await expect(focusedId(page)).resolves.toBe('new-webhook-url');
        await page.waitForTimeout(300);
        expect(requests.count).toBe(before);

        await page.locator('#new-webhook-url').fill('not an address');
        await add.click();
        await expect(errorOf(page, 'new-webhook-url').textContent()).resolves.toBe(text.urlFormat);
        await expect(focusedId(page)).resolves.toBe('new-webhook-url');
        expect(requests.count).toBeGreaterThan(before);
        const { webhooks } = await api<{ webhooks: unknown[] }>(
          suite.server.url,
          '{ webhooks { id } }',
          {},
          accounts[admin].token,
        );
        expect(webhooks).toEqual([]);
        await close(page, problems);
      });
    });
  },
);
