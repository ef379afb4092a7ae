import type { Page } from 'playwright-core';
import { axeViolations, BLOCKING_IMPACTS } from './support/accessibility';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

/** A real 2×2 PNG, so the thumbnail and the full-size view have something to draw. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFElEQVR4nGP4z8DAwPAfhP7/ZwAAHu8E/Gj7YDYAAAAASUVORK5CYII=';
const PNG = Buffer.from(PNG_BASE64, 'base64');

interface TicketFiles {
  ticket: {
    attachments: { id: string; filename: string; contentType: string; isImage: boolean; url: string }[];
  } | null;
}

const filesOf = (url: string, account: Account, id: string) =>
  api<TicketFiles>(
    url,
    `query ($id: ID!) { ticket(id: $id) { attachments { id filename contentType isImage url } } }`,
    { id },
    account.token,
  );

describeWithBrowser(
  'attachments: pick, paste and drop files on a ticket, see images, keep them private',
  () => {
    let reporter: Account;
    let other: Account;
    let french: Account;
    let ticketId: string;
    let screenshotName: string;

    // One megabyte per file, so a refusal for size needs no large upload.
    const suite = useBrowserSuite(
      async (url) => {
        const admin = await registerAccount(url, 'root');
        reporter = await registerAccount(url, 'rita');
        other = await registerAccount(url, 'uma');
        french = await registerAccount(url, 'fanny');
        await api(url, 'mutation { updateMe(input: { locale: FR }) { id } }', {}, french.token);
        await createProject(url, admin, 'Website');
      },
      { server: { config: { attachmentMaxMb: 1 } } },
    );

    beforeAll(async () => {
      await logIn(suite.page, suite.server.url, reporter.username, reporter.password);
    });

    const picker = (page: Page) => page.locator('.attachment-picker');
    const item = (page: Page, name: string | RegExp) =>
      picker(page).getByRole('listitem').filter({ hasText: name });

    async function openNewTicket(page: Page, title: string) {
      await page.goto(`${suite.server.url}/tickets/new`);
      await page.locator('#title').fill(title);
      await page.locator('#description').fill('The export button does nothing, see the files.');
    }

    it('sends a picked file, a pasted screenshot and a dropped file with the new ticket', async () => {
      const { page, server } = suite;
      await openNewTicket(page, 'Export button does nothing');

      // Picked with the keyboard: the button opens the browser's file chooser, several files at once.
      const [chooser] = await Promise.all([
        page.waitForEvent('filechooser'),
        picker(page).getByRole('button', { name: 'Attach files' }).press('Enter'),
      ]);
      expect(chooser.isMultiple()).toBe(true);
      await chooser.setFiles({
        name: 'notes.txt',
        mimeType: 'text/plain',
        buffer: Buffer.from('Steps:\n1. Export\n'),
      });
      await item(page, 'notes.txt').getByText('Ready, sent with the text').waitFor();
      await picker(page).locator('[aria-live="polite"]', { hasText: 'notes.txt is attached.' }).waitFor();

      // A screenshot pasted into the description: browsers name every clipboard image "image.png".
      await page.locator('#description').evaluate((textarea, base64) => {
        const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
        const clipboard = new DataTransfer();
        clipboard.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
        textarea.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }),
        );
      }, PNG_BASE64);
      const pasted = item(page, /screenshot-\d{4}-\d\d-\d\d-\d{4}\.png/);
      await pasted.getByText('Ready, sent with the text').waitFor();
      screenshotName = (await pasted.locator('.attachment-name').textContent())!;
      // Its thumbnail is the uploaded image itself, drawn.
      const thumb = pasted.locator('img');
      await page.waitForFunction(
        (img) => (img as HTMLImageElement).naturalWidth === 2,
        await thumb.elementHandle(),
      );
      // The name goes to the list, never into the text.
      expect(await page.locator('#description').inputValue()).toBe(
        'The export button does nothing, see the files.',
      );

      // Dropped on the description: the area says it takes files while they are dragged over it.
      const drop = await page.evaluateHandle(() => {
        const data = new DataTransfer();
        data.items.add(new File(['%PDF-1.4\n%…'], 'invoice.pdf', { type: 'application/pdf' }));
        return data;
      });
      const textarea = page.locator('#description');
      await textarea.dispatchEvent('dragenter', { dataTransfer: drop });
      await textarea.dispatchEvent('dragover', { dataTransfer: drop });
      await picker(page).getByText('Drop the files to attach them').waitFor();
      expect(await picker(page).evaluate((element) => element.classList.contains('dragging'))).toBe(true);
      await textarea.dispatchEvent('drop', { dataTransfer: drop });
      await item(page, 'invoice.pdf').getByText('Ready, sent with the text').waitFor();
      expect(await picker(page).getByText('Drop the files to attach them').count()).toBe(0);
      await screenshots(page, 'new-ticket-attachments');

      await page.getByRole('button', { name: 'Send ticket' }).click();
      await page.waitForURL(/\/tickets\/\d+$/);
      ticketId = /\/tickets\/(\d+)$/.exec(page.url())![1];
      const { ticket } = await filesOf(server.url, reporter, ticketId);
      expect(
        ticket!.attachments.map(({ filename, contentType, isImage }) => ({ filename, contentType, isImage })),
      ).toEqual([
        { filename: 'notes.txt', contentType: 'text/plain', isImage: false },
        { filename: screenshotName, contentType: 'image/png', isImage: true },
        { filename: 'invoice.pdf', contentType: 'application/pdf', isImage: false },
      ]);
    });

    it('shows an image as a thumbnail that opens full size, and other files as downloads with their size', async () => {
      const { page, server } = suite;
      const { ticket } = await filesOf(server.url, reporter, ticketId);
      const image = ticket!.attachments.find((file) => file.isImage)!;
      await page.goto(`${server.url}/tickets/${ticketId}`);
      const link = page.locator(`a[href="${image.url}"]`, {
        has: page.getByRole('img', { name: screenshotName }),
      });
      await link.waitFor();
      const thumb = link.locator('img');
      expect(await thumb.getAttribute('loading')).toBe('lazy');
      await thumb.scrollIntoViewIfNeeded();
      await page.waitForFunction(
        (img) => (img as HTMLImageElement).naturalWidth === 2,
        await thumb.elementHandle(),
      );
      const pdf = page.getByRole('link', { name: /invoice\.pdf/ });
      expect(await pdf.textContent()).toMatch(/invoice\.pdf\s*\d+ B/);
      expect(await page.locator('img[alt="invoice.pdf"], img[alt="notes.txt"]').count()).toBe(0);

      const [full] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
      await full.waitForLoadState();
      expect(new URL(full.url()).pathname).toBe(image.url);
      expect(await full.evaluate(() => document.contentType)).toBe('image/png');
      expect(await full.evaluate(() => document.images[0]?.naturalWidth)).toBe(2);
      await full.close();
    });

    it('sends a screenshot pasted into the comment box with the comment, shows it in the conversation and clears the box', async () => {
      const { page, server } = suite;
      await page.goto(`${server.url}/tickets/${ticketId}`);
      const comment = page.locator('#comment');
      await comment.waitFor();
      await comment.fill('Here is what I see after the export.');
      await comment.evaluate((textarea, base64) => {
        const bytes = Uint8Array.from(atob(base64), (char) => char.charCodeAt(0));
        const clipboard = new DataTransfer();
        clipboard.items.add(new File([bytes], 'image.png', { type: 'image/png' }));
        textarea.dispatchEvent(
          new ClipboardEvent('paste', { clipboardData: clipboard, bubbles: true, cancelable: true }),
        );
      }, PNG_BASE64);
      const box = page.locator('.comment-box');
      const pasted = box.locator('.attachment-picker li', { hasText: /screenshot-.*\.png/ });
      await pasted.getByText('Ready, sent with the text').waitFor();
      const name = (await pasted.locator('.attachment-name').textContent())!;
      await box.getByRole('button', { name: 'Comment', exact: true }).click();

      const entry = page.locator('.timeline li', { hasText: 'Here is what I see after the export.' });
      const thumb = entry.getByRole('img', { name });
      await thumb.waitFor();
      await page.waitForFunction(
        (img) => (img as HTMLImageElement).naturalWidth === 2,
        await thumb.elementHandle(),
      );
      // Sent: the box is empty again, ready for the next comment.
      expect(await box.locator('.attachment-picker li').count()).toBe(0);
      expect(await comment.inputValue()).toBe('');
      await screenshots(page, 'ticket-comment-attachment');
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        const blocking = (await axeViolations(page)).filter((v) => BLOCKING_IMPACTS.includes(v.impact));
        expect(blocking.map((v) => v.text)).toEqual([]);
      }
      await page.setViewportSize({ width: 1280, height: 900 });

      const data = await api<{
        ticket: { jobs: { comment: string | null; attachments: { filename: string }[] }[] };
      }>(
        server.url,
        `query ($id: ID!) { ticket(id: $id) { jobs { comment attachments { filename } } } }`,
        { id: ticketId },
        reporter.token,
      );
      const job = data.ticket.jobs.find(
        (candidate) => candidate.comment === 'Here is what I see after the export.',
      );
      expect(job?.attachments.map((file) => file.filename)).toEqual([name]);
    });

    it("refuses someone else's file: another user gets 404 and none of its bytes", async () => {
      const { browser, server } = suite;
      const { ticket } = await filesOf(server.url, reporter, ticketId);
      const image = ticket!.attachments.find((file) => file.isImage)!;
      const { page, problems } = await newPage(browser);
      try {
        await logIn(page, server.url, other.username, other.password);
        const response = await page.goto(`${server.url}${image.url}`);
        expect(response!.status()).toBe(404);
        const body = await response!.body();
        expect(body.includes(PNG.subarray(0, 8))).toBe(false);
        expect(JSON.parse(body.toString('utf8'))).toMatchObject({ error: { code: 'NOT_FOUND' } });
        // From the app's own page as well (a script of theirs asking with their cookie).
        await page.goto(`${server.url}/tickets`);
        const status = await page.evaluate(async (url) => (await fetch(url)).status, image.url);
        expect(status).toBe(404);
        expect(problems.errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    });

    it('tells, in French, which file is too large or empty, beside it, and sends only the others', async () => {
      const { browser, server } = suite;
      const { page, problems } = await newPage(browser, 'fr-FR');
      try {
        await logIn(page, server.url, french.username, french.password);
        await page.goto(`${server.url}/tickets/new`);
        await page.locator('#title').fill('Le journal est trop gros');
        await page.locator('#description').fill('Voici les fichiers.');
        await page.locator('.attachment-picker input[type="file"]').setInputFiles([
          { name: 'journal.log', mimeType: 'text/plain', buffer: Buffer.alloc(1024 * 1024 + 10, 'a') },
          { name: 'vide.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) },
          { name: 'capture.png', mimeType: 'image/png', buffer: PNG },
        ]);
        await item(page, 'journal.log')
          .locator('.field-error', { hasText: 'Ce fichier dépasse 1 Mo, la taille maximale acceptée ici.' })
          .waitFor();
        await item(page, 'vide.txt').locator('.field-error', { hasText: 'Ce fichier est vide' }).waitFor();
        await item(page, 'capture.png').getByText('Prêt, envoyé avec le texte').waitFor();
        expect(await item(page, 'journal.log').textContent()).toContain('1 Mo');
        await screenshots(page, 'new-ticket-attachment-refused');

        await page.getByRole('button', { name: 'Envoyer le ticket' }).click();
        await page.waitForURL(/\/tickets\/\d+$/);
        const id = /\/tickets\/(\d+)$/.exec(page.url())![1];
        const { ticket } = await filesOf(server.url, french, id);
        expect(ticket!.attachments.map((file) => file.filename)).toEqual(['capture.png']);
        expect(problems.errors).toEqual([]);
      } finally {
        await page.context().close();
      }
    });

    it('refuses an eleventh file before sending it, and lets a file be removed', async () => {
      const { page } = suite;
      await openNewTicket(page, 'Eleven files');
      const uploads: string[] = [];
      const onRequest = (request: { url(): string; method(): string }) => {
        if (request.method() === 'POST' && request.url().endsWith('/api/tickets/new/attachments'))
          uploads.push(request.url());
      };
      page.on('request', onRequest);
      try {
        await page.locator('.attachment-picker input[type="file"]').setInputFiles(
          Array.from({ length: 11 }, (_, index) => ({
            name: `part-${index + 1}.txt`,
            mimeType: 'text/plain',
            buffer: Buffer.from(`part ${index + 1}`),
          })),
        );
        await item(page, 'part-11.txt')
          .locator('.field-error', { hasText: 'At most 10 files at once: this one was not added.' })
          .waitFor();
        await picker(page).getByText('Ready, sent with the text').nth(9).waitFor();
        expect(uploads).toHaveLength(10);

        await picker(page).getByRole('button', { name: 'Remove part-3.txt' }).click();
        expect(await item(page, 'part-3.txt').count()).toBe(0);
        await picker(page).locator('[aria-live="polite"]', { hasText: 'part-3.txt was removed.' }).waitFor();
        // The removed file's button is gone: the focus moves to the one that adds files, not to the page.
        expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Attach files');
      } finally {
        page.off('request', onRequest);
      }
    });

    it('says so beside the file when the server cannot be reached, and sends nothing of it', async () => {
      const { page } = suite;
      await openNewTicket(page, 'Offline upload');
      await page.route('**/api/tickets/new/attachments', (route) => route.abort('internetdisconnected'));
      try {
        await page.locator('.attachment-picker input[type="file"]').setInputFiles({
          name: 'offline.txt',
          mimeType: 'text/plain',
          buffer: Buffer.from('offline'),
        });
        await item(page, 'offline.txt')
          .locator('.field-error', { hasText: 'The server cannot be reached.' })
          .waitFor();
        await picker(page)
          .locator('[aria-live="polite"]', {
            hasText: 'offline.txt was not attached: The server cannot be reached.',
          })
          .waitFor();
      } finally {
        await page.unroute('**/api/tickets/new/attachments');
      }
      await page.getByRole('button', { name: 'Send ticket' }).click();
      await page.waitForURL(/\/tickets\/\d+$/);
      const id = /\/tickets\/(\d+)$/.exec(page.url())![1];
      const { ticket } = await filesOf(suite.server.url, reporter, id);
      expect(ticket!.attachments).toEqual([]);
    });

    it('keeps the new-ticket page accessible with an upload on its way, at 1280 and 390 px', async () => {
      const { page } = suite;
      await openNewTicket(page, 'Accessible uploads');
      await page.locator('.attachment-picker input[type="file"]').setInputFiles({
        name: 'screen.png',
        mimeType: 'image/png',
        buffer: PNG,
      });
      await item(page, 'screen.png').getByText('Ready, sent with the text').waitFor();

      // The next upload is held on its way, so the page is checked while it says so.
      let letThrough!: () => void;
      const held = new Promise<void>((resolve) => (letThrough = resolve));
      await page.route('**/api/tickets/new/attachments', async (route) => {
        await held;
        await route.continue();
      });
      try {
        await page.locator('.attachment-picker input[type="file"]').setInputFiles({
          name: 'report.txt',
          mimeType: 'text/plain',
          buffer: Buffer.from('report'),
        });
        await item(page, 'report.txt').getByText('Uploading…').waitFor();
        expect(await page.getByRole('button', { name: 'Send ticket' }).isDisabled()).toBe(true);
        for (const width of [1280, 390]) {
          await page.setViewportSize({ width, height: 900 });
          const blocking = (await axeViolations(page)).filter((v) => BLOCKING_IMPACTS.includes(v.impact));
          expect(blocking.map((v) => v.text)).toEqual([]);
        }
        await screenshots(page, 'new-ticket-uploading');
      } finally {
        letThrough();
        await page.setViewportSize({ width: 1280, height: 900 });
      }
      await item(page, 'report.txt').getByText('Ready, sent with the text').waitFor();
      await page.unroute('**/api/tickets/new/attachments');
      expect(await page.getByRole('button', { name: 'Send ticket' }).isDisabled()).toBe(false);
    });
  },
);
