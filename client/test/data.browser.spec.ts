import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations, BLOCKING_IMPACTS } from './support/accessibility';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

interface ExportedTicket {
  title: string;
  projectId: string;
}

/** A CSV as teams bring them: a BOM, CRLF, a quoted field with a comma, a newline and doubled quotes. */
const CSV = [
  '\uFEFFTitle,Description,Priority,Colour',
  'Printer jams on page two,"Paper stuck, again",HIGH,red',
  ',A row without a title,NORMAL,blue',
  'Badge reader is offline,"Door 3 says ""no""\nsince Monday",LOW,green',
].join('\r\n');

/** Cut off in the middle of its list of users. */
const BROKEN_JSON = '{ "format": "simple-ticketing-export", "version": 1, "users": [ }';

describeWithBrowser('an ADMIN on the Data page', () => {
  let admin: Account;
  let reader: Account;
  let website: string;
  let helpdesk: string;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'st-data-'));

  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    reader = await registerAccount(url, 'reader');
    website = await createProject(url, admin, 'Website', 'The public site');
    helpdesk = await createProject(url, admin, 'Helpdesk');
    await createTicket(url, reader, {
      projectId: website,
      title: 'Login page is slow',
      description: 'It takes ten seconds.',
      category: 'BUG',
    });
  });

  // The suite's shared page is the admin's; the USER gets a page of their own.
  let page: Page;

  beforeAll(async () => {
    page = suite.page;
    await logIn(page, suite.server.url, 'root', admin.password);
  });
  afterAll(() => {
    rmSync(workDir, { recursive: true, force: true });
  });

  async function ticketTitles(projectId: string): Promise<string[]> {
    const data = await api<{ tickets: { nodes: { title: string }[] } }>(
      suite.server.url,
      'query ($projectId: ID!) { tickets(first: 100, filter: { projectId: $projectId }) { nodes { title } } }',
      { projectId },
      admin.token,
    );
    return data.tickets.nodes.map((ticket) => ticket.title).sort();
  }

  /** The page afresh, its projects listed: each test starts from there. */
  async function gotoDataPage() {
    await page.goto(`${suite.server.url}/admin/data`);
    await page.locator('.export-row', { hasText: 'Helpdesk' }).waitFor();
  }

  async function openDataPage() {
    await page.goto(`${suite.server.url}/`);
    await page.getByRole('button', { name: 'root' }).click();
    await page.locator('#main-menu').getByRole('link', { name: 'Data' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/data');
    await page.getByRole('heading', { name: 'Data', level: 1 }).waitFor();
    await page.locator('.export-row', { hasText: 'Helpdesk' }).waitFor();
  }

  it('opens Data from the admin menu; each export is a download link to the right address', async () => {
    await openDataPage();
    await page.getByText('JSON: lossless').waitFor();
    await page.getByText('CSV: one row per ticket').waitFor();

    const hrefs = async (rowText: string) =>
      page
        .locator('.export-row', { hasText: rowText })
        .getByRole('link')
        .evaluateAll((links) =>
          links.map((link) => [link.getAttribute('href'), link.hasAttribute('download')]),
        );
    expect(await hrefs('Everything')).toEqual([
      ['/api/export?format=json', true],
      ['/api/export?format=csv', true],
      ['/api/export?format=csv&part=jobs', true],
    ]);
    expect(await hrefs('Website')).toEqual([
      [`/api/export?format=json&project=${website}`, true],
      [`/api/export?format=csv&project=${website}`, true],
      [`/api/export?format=csv&part=jobs&project=${website}`, true],
    ]);
    // Each link is named by what it downloads and of what, for a screen reader's list of links.
    await page.getByRole('link', { name: 'CSV of tickets, export of Helpdesk' }).waitFor();
    await screenshots(page, 'data-page');
  });

  it('downloads the JSON export of a project, which holds its ticket', async () => {
    await gotoDataPage();
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: 'JSON, export of Website' }).click(),
    ]);
    const file = await download.path();
    const exported = JSON.parse(readFileSync(file, 'utf8')) as {
      format: string;
      scope: { projectId: string | null };
      tickets: ExportedTicket[];
    };
    expect(exported.format).toBe('simple-ticketing-export');
    expect(exported.scope.projectId).toBe(website);
    expect(exported.tickets.map((ticket) => ticket.title)).toEqual(['Login page is slow']);
    // The download went to disk; the page stayed where it was.
    expect(new URL(page.url()).pathname).toBe('/admin/data');
  });

  it('checks a CSV with a dry run (a refused row and its line), then imports it for real', async () => {
    await gotoDataPage();
    const csvFile = path.join(workDir, 'from-the-old-tracker.csv');
    writeFileSync(csvFile, CSV);
    await page.locator('#import-file').setInputFiles(csvFile);
    // A CSV goes into one project: without one, nothing is sent and the select says so.
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.locator('#import-project-error').getByText('Choose a project.').waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('import-project');
    await page.locator('#import-project').selectOption({ label: 'Helpdesk' });
    await page.getByRole('button', { name: 'Dry run' }).click();

    const report = page.locator('.import-report');
    await report.getByText('Dry run: nothing is written yet').waitFor();
    await report.getByText('2 tickets would be created in Helpdesk.').waitFor();
    await report.getByText('Columns not imported (unknown): Colour.').waitFor();
    await report.getByText('1 row refused, which will not be imported:').waitFor();
    // The header is line 1: the row without a title is line 3.
    const refused = report.locator('.refused-rows li');
    await expect(refused.count()).resolves.toBe(1);
    expect(await refused.first().textContent()).toMatch(/^Line 3 .*title/i);
    await screenshots(page, 'data-import-dry-run');
    expect(await ticketTitles(helpdesk)).toEqual([]);

    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await report.getByText('2 tickets were created in Helpdesk.').waitFor();
    expect(await ticketTitles(helpdesk)).toEqual(['Badge reader is offline', 'Printer jams on page two']);
    // Done: the file is cleared, so a second press cannot import it twice.
    await expect(page.getByRole('button', { name: 'Import', exact: true }).count()).resolves.toBe(0);
  });

  it('brings a JSON export back in: a dry run counts what it holds, then Import creates it', async () => {
    const answer = await fetch(`${suite.server.url}/api/export?format=json&project=${website}`, {
      headers: { Authorization: `Bearer ${admin.token}` },
    });
    const exported = (await answer.json()) as { projects: { name: string }[] };
    // A project of the same name refuses the file: this one comes back as a copy.
    exported.projects[0].name = 'Website, last year';
    await gotoDataPage();
    await page.locator('#import-file').setInputFiles({
      name: 'website.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(exported)),
    });
    await page.getByText('A JSON export is imported whole').waitFor();
    await expect(page.locator('#import-project').count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Dry run' }).click();

    const report = page.locator('.import-report');
    await report.getByText('The file is valid: importing it would bring in, all together:').waitFor();
    const figure = (label: string) => report.locator('.import-figures div', { hasText: label }).locator('dd');
    expect(await figure('Projects').textContent()).toBe('1');
    expect(await figure('Tickets').textContent()).toBe('1');
    const projects = async () =>
      (
        await api<{ projects: { name: string }[] }>(
          suite.server.url,
          '{ projects { name } }',
          {},
          admin.token,
        )
      ).projects
        .map((project) => project.name)
        .sort();
    expect(await projects()).toEqual(['Helpdesk', 'Website']);

    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await report.getByText('The file is imported:').waitFor();
    // The Import button is gone: the focus is on the result's heading, not lost to the page.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('import-report-title');
    expect(await projects()).toEqual(['Helpdesk', 'Website', 'Website, last year']);
  });

  it('shows the service’s message and problems for a malformed JSON file, and writes nothing', async () => {
    const broken = BROKEN_JSON;
    // What the service says of this file, asked directly, is what the page must show.
    const answer = await fetch(`${suite.server.url}/api/import?dryRun=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${admin.token}` },
      body: broken,
    });
    expect(answer.status).toBe(400);
    const { error } = (await answer.json()) as {
      error: { code: string; message: string; invalidFields?: { field: string; message: string }[] };
    };
    expect(error.code).toBe('BAD_USER_INPUT');

    await gotoDataPage();
    await page.locator('#import-file').setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from(broken),
    });
    await page.getByRole('button', { name: 'Dry run' }).click();
    const refusal = page.locator('.refusal');
    await refusal.getByText('The file is refused: nothing was imported.').waitFor();
    const first = error.invalidFields?.[0];
    if (first) {
      await refusal.locator('li', { hasText: first.message }).waitFor();
      await refusal.locator('li code', { hasText: first.field }).waitFor();
    } else {
      await refusal
        .getByText(error.message.replace(/^The file was refused, nothing was imported\.\s*/, ''))
        .waitFor();
    }
    expect(await ticketTitles(website)).toEqual(['Login page is slow']);
  });

  it('refuses a file over the size limit in the browser, before sending anything', async () => {
    await gotoDataPage();
    const large = path.join(workDir, 'too-large.csv');
    writeFileSync(large, 'title\n');
    truncateSync(large, 51 * 1024 * 1024);
    const sent: string[] = [];
    const onRequest = (request: { url(): string }) => {
      if (request.url().includes('/api/import')) sent.push(request.url());
    };
    page.on('request', onRequest);
    await page.locator('#import-file').setInputFiles(large);
    await page.getByText(/too-large\.csv weighs 51 MB: a file may weigh at most 50 MB/).waitFor();
    await page.locator('#import-project').selectOption({ label: 'Helpdesk' });
    await page.getByRole('button', { name: 'Dry run' }).click();
    await page.getByText(/a file may weigh at most 50 MB/).waitFor();
    page.off('request', onRequest);
    expect(sent).toEqual([]);
  });

  it('passes axe with a dry-run report, then with a refusal, at 1280 and 390 px', async () => {
    const found: string[] = [];
    const check = async (state: string, width: number) => {
      for (const violation of await axeViolations(page)) {
        if (BLOCKING_IMPACTS.includes(violation.impact))
          found.push(`${width} px, ${state}: ${violation.text}`);
      }
    };
    for (const [width, height] of [
      [1280, 900],
      [390, 844],
    ]) {
      await page.setViewportSize({ width, height });
      await gotoDataPage();
      await page.locator('#import-file').setInputFiles({
        name: 'tickets.csv',
        mimeType: 'text/csv',
        buffer: Buffer.from(CSV),
      });
      await page.locator('#import-project').selectOption({ label: 'Website' });
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.locator('.import-report').waitFor();
      await check('report', width);
      await page.locator('#import-file').setInputFiles({
        name: 'broken.json',
        mimeType: 'application/json',
        buffer: Buffer.from(BROKEN_JSON),
      });
      await page.getByRole('button', { name: 'Dry run' }).click();
      await page.locator('.refusal').waitFor();
      await check('refusal', width);
      if (width < 1000) await screenshots(page, 'data-import-refused');
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    expect(found).toEqual([]);
  });

  it('a USER has no Data link, and /admin/data says it is for administrators', async () => {
    const other = await newPage(suite.browser);
    try {
      await logIn(other.page, suite.server.url, 'reader', reader.password);
      await other.page.getByRole('button', { name: 'reader' }).click();
      await other.page.getByRole('link', { name: 'Settings' }).waitFor();
      await expect(other.page.getByRole('link', { name: 'Data' }).count()).resolves.toBe(0);

      await other.page.goto(`${suite.server.url}/admin/data`);
      await other.page.getByRole('heading', { name: 'Not allowed', level: 1 }).waitFor();
      await other.page.getByText('This page is for administrators only.').waitFor();
      await expect(other.page.locator('#import-file').count()).resolves.toBe(0);
      expect(other.problems.errors).toEqual([]);
    } finally {
      await other.page.context().close();
    }
  });
});
