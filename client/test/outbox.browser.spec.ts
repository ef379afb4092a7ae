import type { Page } from 'playwright-core';
import type { Clock } from '../../server/src/clock';
import type { Mailer } from '../../server/src/outbox/mailer';
import { describeWithBrowser, logIn, screenshots } from './support/browser';
import { api, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

/** Takes every message, except those to "unreachable…" addresses while `down`: refused like a closed port. */
const mail = { down: true };
const mailer: Mailer = {
  send: async (message) => {
    if (mail.down && message.to.startsWith('unreachable'))
      throw new Error('connect ECONNREFUSED 127.0.0.1:2525');
  },
};

// Real time plus an offset the spec moves forward, so the day of retries passes in a moment. Sessions
// read this clock too: they last 30 days here, so nobody is logged out by the jump.
let offset = 0;
const clock: Clock = { now: () => new Date(Date.now() + offset) };

interface Row {
  recipient: string;
  state: string;
  attempts: number;
  nextAttemptAt: string | null;
}

describeWithBrowser('an ADMIN reading the outbox', () => {
  let admin: Account;

  async function outbox(url: string): Promise<Row[]> {
    const data = await api<{ outbox: { nodes: Row[] } }>(
      url,
      '{ outbox(first: 100) { nodes { recipient state attempts nextAttemptAt } } }',
      {},
      admin.token,
    );
    return data.outbox.nodes;
  }

  const stateOf = (rows: Row[], recipient: string) => rows.find((row) => row.recipient === recipient);

  const suite = useBrowserSuite(
    async (url, server) => {
      // Each registration enqueues a verification email: root's is SENT, the unreachable ones are not.
      admin = await registerAccount(url, 'root');
      // Twenty readers more, so that the list has a second page.
      for (let n = 1; n <= 20; n += 1) await registerAccount(url, `reader-${n}`);
      await registerAccount(url, 'unreachable-one');
      await registerAccount(url, 'unreachable-two');
      const failing = ['unreachable-one@example.com', 'unreachable-two@example.com'];
      // The real delivery worker and retry schedule: every try fails until the worker gives up (FAILED).
      // The clock goes straight to each next try, not beyond: a verification link expires after 48 h.
      for (let round = 0; round < 40; round += 1) {
        const all = await outbox(url);
        const rows = failing.map((to) => stateOf(all, to));
        if (rows.every((row) => row?.state === 'FAILED')) break;
        const due = Math.max(...rows.map((row) => Date.parse(row?.nextAttemptAt ?? '') || 0));
        offset = Math.max(offset, due - Date.now() + 1000);
        await server.running.delivery.runOnce();
      }
      // One more, tried once and refused: PENDING, with its error and its next try.
      await registerAccount(url, 'unreachable-late');
      for (let round = 0; round < 50; round += 1) {
        if ((stateOf(await outbox(url), 'unreachable-late@example.com')?.attempts ?? 0) > 0) break;
        await server.running.delivery.runOnce();
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    { server: { mailer, clock, config: { registrationsPerHour: 100, tokenTtlSeconds: 30 * 86400 } } },
  );

  const row = (page: Page, recipient: string) => page.locator('.outbox-row', { hasText: recipient });

  it('opens the outbox from the admin menu and sees each message with its state, tries and error', async () => {
    const { page, server } = suite;
    const rows = await outbox(server.url);
    expect(stateOf(rows, 'unreachable-one@example.com')).toMatchObject({ state: 'FAILED', attempts: 10 });

    await logIn(page, server.url, 'root', admin.password);
    await page.getByRole('button', { name: 'root' }).click();
    await page.getByRole('link', { name: 'Outbox' }).click();
    await page.getByRole('heading', { name: 'Outbox', level: 1 }).waitFor();
    await page.getByText('24 messages').waitFor();

    // Newest first: the late one, then the two failed ones, then the readers'.
    await expect(page.locator('.outbox-row').allTextContents()).resolves.toEqual([
      expect.stringContaining('unreachable-late@example.com'),
      expect.stringContaining('unreachable-two@example.com'),
      expect.stringContaining('unreachable-one@example.com'),
      ...Array.from({ length: 17 }, (_, i) => expect.stringContaining(`reader-${20 - i}@example.com`)),
    ]);

    const sent = row(page, 'reader-20@example.com');
    await expect(sent.locator('.outbox-state').textContent()).resolves.toBe('Sent');
    await expect(sent.locator('.outbox-channel').textContent()).resolves.toBe('Email');
    await expect(sent.textContent()).resolves.toMatch(/1 attempt\b.*Sent \d/);
    await expect(sent.getByRole('button', { name: /Retry/ }).count()).resolves.toBe(0);

    const failed = row(page, 'unreachable-one@example.com');
    await expect(failed.locator('.outbox-state').textContent()).resolves.toBe('Failed');
    await expect(failed.textContent()).resolves.toContain('10 attempts');
    await expect(failed.textContent()).resolves.toContain('Last error: connect ECONNREFUSED 127.0.0.1:2525');
    await failed.getByRole('button', { name: 'Retry the message to unreachable-one@example.com' }).waitFor();

    const pending = row(page, 'unreachable-late@example.com');
    await expect(pending.locator('.outbox-state').textContent()).resolves.toBe('Pending');
    await expect(pending.textContent()).resolves.toMatch(/1 attempt\b.*Next attempt \d/);
    await expect(pending.textContent()).resolves.toContain('Last error: connect ECONNREFUSED');
    await screenshots(page, 'admin-outbox');
  });

  it('filters by state in the address; back returns to all messages', async () => {
    const { page, server } = suite;
    await page.getByLabel('State').selectOption('FAILED');
    await page.waitForURL(`${server.url}/admin/outbox?state=FAILED`);
    await page.getByText('2 messages').waitFor();
    await expect(page.locator('.outbox-state').allTextContents()).resolves.toEqual(['Failed', 'Failed']);

    await page.goBack();
    await page.waitForURL(`${server.url}/admin/outbox`);
    await page.getByText('24 messages').waitFor();
    await expect(page.getByLabel('State').inputValue()).resolves.toBe('');

    await page.goto(`${server.url}/admin/outbox?state=SENT`);
    await page.getByText('21 messages').waitFor();
    await expect(page.getByLabel('State').inputValue()).resolves.toBe('SENT');
  });

  it('loads the next page after the cursor, down to the oldest message', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/admin/outbox`);
    await page.getByText('20 of 24 shown').waitFor();
    await expect(page.locator('.outbox-row').count()).resolves.toBe(20);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.locator('.outbox-row').nth(23).waitFor();
    await expect(page.locator('.outbox-row').count()).resolves.toBe(24);
    await expect(page.locator('.outbox-row').last().textContent()).resolves.toContain('root@example.com');
    await expect(page.getByRole('button', { name: 'Load more' }).count()).resolves.toBe(0);
  });

  it('retries a FAILED message: the row turns PENDING in place, then it is sent', async () => {
    const { page, server } = suite;
    mail.down = false;
    await page.goto(`${server.url}/admin/outbox?state=FAILED`);
    const failed = row(page, 'unreachable-one@example.com');
    await failed.getByRole('button', { name: /Retry/ }).click();

    // It keeps its place under the "failed" filter, says what happened and has the focus.
    await failed.getByText('Back in the queue: it is tried again now.').waitFor();
    await expect(failed.locator('.outbox-state').textContent()).resolves.toBe('Pending');
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toMatch(/^retried-/);
    await expect(failed.getByRole('button', { name: /Retry/ }).count()).resolves.toBe(0);

    // The retry's commit wakes the delivery worker: the message is soon among the sent ones.
    await page.getByLabel('State').selectOption('SENT');
    await page.waitForURL(/state=SENT$/);
    const sentAgain = row(page, 'unreachable-one@example.com').locator('.outbox-state');
    for (let round = 0; round < 40; round += 1) {
      await page.waitForFunction(() => !document.querySelector('.stale, .loading'));
      if ((await sentAgain.count()) && (await sentAgain.textContent()) === 'Sent') break;
      await page.waitForTimeout(250);
      await page.getByRole('button', { name: 'Refresh' }).click();
    }
    await expect(sentAgain.textContent()).resolves.toBe('Sent');
  });

  it('says so next to the button when the message was retried elsewhere meanwhile', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/admin/outbox?state=FAILED`);
    const failed = row(page, 'unreachable-two@example.com');
    await failed.waitFor();
    const [{ id }] = (
      await api<{ outbox: { nodes: { id: string }[] } }>(
        server.url,
        '{ outbox(state: FAILED) { nodes { id } } }',
        {},
        admin.token,
      )
    ).outbox.nodes;
    await api(server.url, 'mutation ($id: ID!) { retryOutboxMessage(id: $id) { id } }', { id }, admin.token);

    await failed.getByRole('button', { name: /Retry/ }).click();
    const refusal = failed.getByRole('alert');
    await refusal.waitFor();
    await expect(refusal.textContent()).resolves.toContain('This message is no longer failed');
    // The button stays, described by the refusal.
    await expect(
      failed.getByRole('button', { name: /Retry/ }).getAttribute('aria-describedby'),
    ).resolves.toBe(await refusal.getAttribute('id'));
  });
});
