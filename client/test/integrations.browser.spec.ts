import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { axeViolations, BLOCKING_IMPACTS } from './support/accessibility';
import { describeWithBrowser, logIn, newPage, screenshots, type PageProblems } from './support/browser';
import { api, createProject, createTicket, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A webhook receiver on loopback: records every POST and answers 200. */
async function startReceiver(): Promise<{ url: string; requests: Received[]; server: Server }> {
  const requests: Received[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, server };
}

interface GraphQLAnswer {
  data?: Record<string, unknown> | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** What an integration would send: plain fetch, the token as a Bearer header, no cookie. */
async function callWithToken(url: string, secret: string, query: string): Promise<GraphQLAnswer> {
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}` },
    body: JSON.stringify({ query }),
  });
  return (await response.json()) as GraphQLAnswer;
}

/** Serious or critical axe findings on the page as it is now, one readable line each. */
async function blockingViolations(page: Page): Promise<string[]> {
  return (await axeViolations(page))
    .filter((violation) => BLOCKING_IMPACTS.includes(violation.impact))
    .map((violation) => violation.text);
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describeWithBrowser('integrations: API tokens in Settings, webhooks in the administration', () => {
  let admin: Account;
  let user: Account;
  let ticketId: string;
  let websiteId: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;

  const suite = useBrowserSuite(
    async (url) => {
      admin = await registerAccount(url, 'root');
      user = await registerAccount(url, 'ursula');
      const billing = await createProject(url, admin, 'Billing', 'Invoices and payments');
      websiteId = await createProject(url, admin, 'Website');
      ticketId = await createTicket(url, user, {
        projectId: billing,
        title: 'Invoice total is wrong',
        description: 'The total does not add up.',
      });
    },
    // Webhooks go to public https addresses only, unless the host is allowed: the receiver is on loopback.
    { server: { config: { webhookAllowHosts: ['127.0.0.1'] } } },
  );

  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await new Promise((resolve) => receiver?.server.close(resolve));
  });

  const comment = (text: string) =>
    api(
      suite.server.url,
      'mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }',
      { id: ticketId, input: { comment: text } },
      admin.token,
    );

  it('a USER creates a READ token, sees its secret once, reads with it, then revokes it', async () => {
    const { page, server } = suite;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
    await logIn(page, server.url, 'ursula', user.password);
    await page.goto(`${server.url}/settings`);
    await page.getByRole('heading', { name: 'API tokens', level: 2 }).waitFor();
    await page.getByText('You have no token yet.').waitFor();

    // A USER's tokens always expire: no "Never" among the choices.
    await expect(page.locator('#token-expiry option').allTextContents()).resolves.toEqual([
      '30 days',
      '90 days',
      '365 days',
    ]);
    await page.getByLabel('Name', { exact: true }).fill('sync script');
    await expect(page.getByRole('radio', { name: /^Read Queries only/ }).isChecked()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Create token' }).click();

    // The secret, once: its own panel, selected and focused, with the warning.
    const panel = page.getByRole('group', { name: 'Copy the token “sync script” now' });
    await panel.waitFor();
    await expect(panel.textContent()).resolves.toContain('You will not see it again');
    const secretInput = page.getByLabel('Secret of the token sync script');
    const secret = await secretInput.inputValue();
    expect(secret).toMatch(/^st_\w{20,}/);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('token-secret');
    await expect(blockingViolations(page)).resolves.toEqual([]);
    await screenshots(page, 'settings-api-token-created');

    await panel.getByRole('button', { name: 'Copy' }).click();
    await panel.getByRole('status').getByText('Copied.').waitFor();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe(secret);

    // The list shows the token, never used yet.
    const row = page.locator('.token-row', { hasText: 'sync script' });
    await expect(row.textContent()).resolves.toMatch(/Read.*Created .*Expires .*Never used/);

    // An integration reads with it, as the user, and cannot write with a READ token.
    const query = '{ me { username } tickets { totalCount } }';
    const read = await callWithToken(server.url, secret, query);
    expect(read.errors).toBeUndefined();
    expect(read.data).toEqual({ me: { username: 'ursula' }, tickets: { totalCount: 1 } });
    const write = await callWithToken(server.url, secret, 'mutation { logout }');
    expect(write.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    // Put away, it is gone for good: not on the page, not after a reload; the list says it was used.
    await panel.getByRole('button', { name: 'I have saved it' }).click();
    await expect(panel.count()).resolves.toBe(0);
    await page.reload();
    await row.waitFor();
    await expect(row.textContent()).resolves.toMatch(/Last used \d/);
    await expect(page.content()).resolves.not.toContain(secret);

    // Revoking asks first; Cancel gives the focus back to the button.
    await row.getByRole('button', { name: 'Revoke sync script' }).click();
    const question = row.getByRole('group', { name: /Revoke “sync script”\?/ });
    await question.waitFor();
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe('Yes, revoke');
    await page.keyboard.press('Escape');
    await expect(question.count()).resolves.toBe(0);
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toMatch(/^revoke-button-/);

    await row.getByRole('button', { name: 'Revoke sync script' }).click();
    await question.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByText('The token “sync script” is revoked.').waitFor();
    await page.getByText('You have no token yet.').waitFor();

    // The same call again: the token no longer opens anything.
    const refused = await callWithToken(server.url, secret, query);
    expect(refused.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(refused.errors?.[0]?.message).toMatch(/revoked/);
  });

  it('a USER has no Webhooks link, and /admin/webhooks says it is for administrators', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/`);
    await page.getByRole('button', { name: 'ursula' }).click();
    await page.getByRole('link', { name: 'Settings' }).waitFor();
    await expect(page.getByRole('link', { name: 'Webhooks' }).count()).resolves.toBe(0);

    await page.goto(`${server.url}/admin/webhooks`);
    await page.getByRole('heading', { name: 'Not allowed', level: 1 }).waitFor();
    await page.getByText('This page is for administrators only.').waitFor();
    await expect(page.getByRole('button', { name: 'Add webhook' }).count()).resolves.toBe(0);
  });

  describe('an ADMIN and the webhooks', () => {
    let page: Page;
    let problems: PageProblems;

    beforeAll(async () => {
      ({ page, problems } = await newPage(suite.browser));
      await logIn(page, suite.server.url, 'root', admin.password);
    });
    afterAll(async () => {
      await page?.context().close();
    });
    afterEach(() => {
      expect(problems.errors).toEqual([]);
    });

    const row = () => page.locator('.webhook-row', { hasText: `${receiver.url}/hooks/ticketing` });

    it('may create a token that never expires', async () => {
      await page.goto(`${suite.server.url}/settings`);
      await page.getByRole('heading', { name: 'API tokens', level: 2 }).waitFor();
      await expect(page.locator('#token-expiry option').allTextContents()).resolves.toEqual([
        '30 days',
        '90 days',
        '365 days',
        'Never',
      ]);
    });

    it('adds a webhook to a loopback receiver; refusals show beside their field; the secret shows once', async () => {
      await page.getByRole('button', { name: 'root' }).click();
      await page.getByRole('link', { name: 'Webhooks' }).click();
      await page.waitForURL(`${suite.server.url}/admin/webhooks`);
      await page.getByRole('heading', { name: 'Webhooks', level: 1 }).waitFor();
      await page.getByText('No webhook yet').waitFor();
      await expect(blockingViolations(page)).resolves.toEqual([]);

      // No event: refused in the browser before sending, said beside the events.
      const url = page.getByLabel('URL');
      await url.fill(`${receiver.url}/hooks/ticketing`);
      await page.getByRole('checkbox', { name: /^Ticket opened/ }).uncheck();
      await page.getByRole('checkbox', { name: /^Ticket updated/ }).uncheck();
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await page
        .locator('#new-webhook-events-error')
        .getByText(/^Choose at least one event/)
        .waitFor();
      await page.getByRole('checkbox', { name: /^Ticket opened/ }).check();
      await page.getByRole('checkbox', { name: /^Ticket updated/ }).check();

      // A private address outside the allow-list: the server's refusal, beside the URL.
      await url.fill('http://10.1.2.3/hooks');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      const urlError = page.locator('#new-webhook-url-error');
      await urlError.waitFor();
      await expect(urlError.textContent()).resolves.toMatch(/https|WEBHOOK_ALLOW_HOSTS/);
      await expect(url.getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(page.locator('#new-webhook-events-error').count()).resolves.toBe(0);

      await url.fill(`${receiver.url}/hooks/ticketing`);
      await page.getByLabel('Project').selectOption({ label: 'Billing' });
      await page.getByRole('button', { name: 'Add webhook' }).click();

      const panel = page.getByRole('group', { name: 'Copy the signing secret now' });
      await panel.waitFor();
      await expect(panel.textContent()).resolves.toContain('You will not see it again');
      await expect(urlError.count()).resolves.toBe(0);
      const secret = await page.locator('#webhook-secret').inputValue();
      expect(secret.length).toBeGreaterThanOrEqual(20);

      // Without a clipboard (an insecure context, an old browser), Copy selects the secret instead.
      await page.evaluate(() => Object.defineProperty(navigator, 'clipboard', { value: undefined }));
      await panel.getByRole('button', { name: 'Copy' }).click();
      await panel
        .getByRole('status')
        .getByText(/the secret is selected/)
        .waitFor();
      await expect(
        page.evaluate(() => {
          const input = document.activeElement as HTMLInputElement;
          return (
            input.id === 'webhook-secret' &&
            (input.selectionEnd ?? 0) - (input.selectionStart ?? 0) === input.value.length
          );
        }),
      ).resolves.toBe(true);
      await expect(blockingViolations(page)).resolves.toEqual([]);

      await panel.getByRole('button', { name: 'I have saved it' }).click();
      await expect(panel.count()).resolves.toBe(0);
      await expect(page.content()).resolves.not.toContain(secret);

      await expect(row().textContent()).resolves.toMatch(
        /Active.*Billing.*Ticket opened, Ticket updated.*Internal notes: no.*Added/,
      );
      await row().getByText('No delivery yet.').waitFor();

      // A ticket change reaches the receiver, signed with the secret shown once, and is listed.
      const before = receiver.requests.length;
      await comment('Looking into it.');
      await waitUntil(() => receiver.requests.length > before, 'the delivery to the receiver');
      const delivered = receiver.requests[before];
      const signature = createHmac('sha256', secret).update(delivered.body).digest('hex');
      expect(delivered.headers['x-signature-256']).toBe(`sha256=${signature}`);
      expect(JSON.parse(delivered.body)).toMatchObject({ event: 'TICKET_UPDATED' });

      const deliveryRow = row().locator('.delivery-row').first();
      await waitUntil(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await page.waitForFunction(() => !document.querySelector('.loading, .stale'));
        return (await deliveryRow.count()) > 0 && /Delivered/.test((await deliveryRow.textContent()) ?? '');
      }, 'the delivery row');
      await expect(deliveryRow.textContent()).resolves.toMatch(
        new RegExp(`Delivered.*#${ticketId} Invoice total is wrong.*Ticket updated.*HTTP 200.*1 attempt`),
      );
      await expect(blockingViolations(page)).resolves.toEqual([]);
      await screenshots(page, 'admin-webhooks');
    });

    it('pauses it: nothing is sent; resumes it and redelivers the latest job', async () => {
      await row()
        .getByRole('button', { name: `Pause ${receiver.url}/hooks/ticketing` })
        .click();
      await row().getByText('Paused', { exact: true }).waitFor();
      // Paused, it sends nothing, so there is nothing to redeliver.
      await expect(
        row()
          .getByRole('button', { name: /^Redeliver/ })
          .count(),
      ).resolves.toBe(0);
      const before = receiver.requests.length;
      await comment('Still looking.');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(receiver.requests.length).toBe(before);

      await row()
        .getByRole('button', { name: `Resume ${receiver.url}/hooks/ticketing` })
        .click();
      await row().getByText('Active', { exact: true }).waitFor();
      await row()
        .getByRole('button', { name: `Redeliver ${receiver.url}/hooks/ticketing` })
        .click();
      await row().getByText('The latest job is queued again, as a new delivery.').waitFor();
      await waitUntil(() => receiver.requests.length > before, 'the redelivery');
      const ids = receiver.requests.map((request) => request.headers['x-delivery-id']);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('edits it; a refused URL is said beside the field', async () => {
      await row()
        .getByRole('button', { name: `Edit ${receiver.url}/hooks/ticketing` })
        .click();
      const form = page.locator('.webhook-row form');
      const url = form.getByLabel('URL');
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toMatch(/^webhook-.*-url$/);
      await url.fill('ftp://example.com/hook');
      await form.getByRole('button', { name: 'Save' }).click();
      await form.locator('.field-error').first().waitFor();
      await expect(url.getAttribute('aria-invalid')).resolves.toBe('true');

      await url.fill(`${receiver.url}/hooks/ticketing`);
      await form.getByRole('checkbox', { name: /^Ticket opened/ }).uncheck();
      await form.getByRole('checkbox', { name: /^Include internal notes/ }).check();
      await form.getByRole('button', { name: 'Save' }).click();
      // The form closes once the save is answered (a click returns as soon as it is dispatched).
      await form.waitFor({ state: 'detached' });
      await waitUntil(
        async () => /Ticket updated.*Internal notes: yes/.test((await row().textContent()) ?? ''),
        'the edited row',
      );
      await expect(row().textContent()).resolves.not.toContain('Ticket opened,');
    });

    it('deletes it after asking', async () => {
      await row()
        .getByRole('button', { name: `Delete ${receiver.url}/hooks/ticketing` })
        .click();
      const question = row().getByRole('group', { name: /Delete the webhook to/ });
      await question.getByRole('button', { name: 'Yes, delete' }).click();
      await page.getByText(`The webhook to ${receiver.url}/hooks/ticketing is deleted.`).waitFor();
      await page.getByText('No webhook yet').waitFor();
      await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('webhooks-list-title');
    });

    it('in French: a refused redelivery says why, and the outbox words webhook deliveries, with no Retry', async () => {
      const quietUrl = `${receiver.url}/hooks/quiet`;
      const { createWebhook } = await api<{ createWebhook: { webhook: { id: string } } }>(
        suite.server.url,
        'mutation ($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } } }',
        { input: { url: quietUrl, projectId: websiteId } },
        admin.token,
      );
      const { page: french, problems: frenchProblems } = await newPage(suite.browser, 'fr-FR');
      try {
        await logIn(french, suite.server.url, 'root', admin.password);
        // Signed in, the account's language wins over the browser's: root chooses French.
        await french.getByRole('button', { name: 'root' }).click();
        await french.getByRole('button', { name: 'Français' }).click();
        await french.goto(`${suite.server.url}/admin/webhooks`);
        const quiet = french.locator('.webhook-row', { hasText: quietUrl });
        await quiet.getByRole('button', { name: `Renvoyer ${quietUrl}` }).click();
        await quiet
          .getByRole('alert')
          .getByText('Ce webhook n’a encore aucun événement correspondant à envoyer.')
          .waitFor();

        await french.goto(`${suite.server.url}/admin/outbox`);
        const delivery = french
          .locator('.outbox-row', { hasText: `${receiver.url}/hooks/ticketing` })
          .first();
        await delivery.waitFor();
        await expect(delivery.locator('.outbox-channel').textContent()).resolves.toBe('Webhook');
        await expect(delivery.locator('.outbox-subject').textContent()).resolves.toMatch(
          new RegExp(`^Ticket mis à jour : ticket n° ${ticketId}, événement \\d+$`),
        );
        await expect(french.getByRole('button', { name: /Réessayer/ }).count()).resolves.toBe(0);
        expect(frenchProblems.errors).toEqual([]);
      } finally {
        await french.context().close();
        await api(
          suite.server.url,
          'mutation ($id: ID!) { deleteWebhook(id: $id) }',
          { id: createWebhook.webhook.id },
          admin.token,
        );
      }
    });
  });
});
