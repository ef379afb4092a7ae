import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { describeWithBrowser, logIn } from './support/browser';
import { api, createProject, createTicket, registerAccount, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const TICKETS = 24;
const screenshotDir = path.resolve(__dirname, '..', '..', 'artifacts', 'screenshots');

/** Pages of a PDF: Chromium writes one uncompressed `/Type /Page` dictionary per page. */
const pdfPageCount = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page(?!s)/g) ?? []).length;

describeWithBrowser('the printable project report', () => {
  let admin: Account;
  let projectId: string;
  let report: Page;
  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'boss');
    projectId = await createProject(url, admin, 'Intranet', 'The staff portal.\nHosted in-house.');
    for (let n = 1; n <= TICKETS; n += 1) {
      const id = await createTicket(url, admin, {
        projectId,
        title: n === 1 ? '<script>alert(1)</script> in the title' : `Ticket number ${n}`,
        description: `What happens in case ${n}.\nA second line.`,
        category: n % 3 === 0 ? 'BUG' : 'QUESTION',
      });
      await api(
        url,
        `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`,
        {
          id,
          input: {
            status: n % 2 === 0 ? 'RESOLVED' : 'IN_PROGRESS',
            comment: `Looked at case ${n}.\nIt is ${n % 2 === 0 ? 'fixed' : 'under way'}.`,
          },
        },
        admin.token,
      );
    }
  });

  afterAll(async () => {
    await report?.close();
  });

  it('opens from the project row in a new tab, signed in by the session cookie', async () => {
    const { page, server } = suite;
    await logIn(page, server.url, admin.username, admin.password);
    await page.goto(`${server.url}/admin/projects`);
    const link = page
      .locator('.admin-row', { hasText: 'Intranet' })
      .getByRole('link', { name: /^Printable report/ });
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener');
    [report] = await Promise.all([page.context().waitForEvent('page'), link.click()]);
    report.on('pageerror', (error) => suite.problems.errors.push(`report: ${error.message}`));
    // A CSP violation (the print script's hash) is a console error.
    report.on('console', (message) => {
      if (message.type() === 'error') suite.problems.errors.push(`report: ${message.text()}`);
    });
    report.on('dialog', (dialog) => suite.problems.dialogs.push(dialog.message()));
    await report.waitForLoadState('load');
    expect(new URL(report.url()).pathname).toBe(`/api/projects/${projectId}/report`);
    await report.getByRole('heading', { level: 1, name: 'Intranet' }).waitFor();
    expect(await report.locator('article.ticket').count()).toBe(TICKETS);
    await report.getByText('<script>alert(1)</script> in the title').waitFor();
    expect(suite.problems.dialogs).toEqual([]);
  });

  it('is linked from the ticket list filtered by a project', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets`);
    await page.getByRole('heading', { name: 'Tickets' }).waitFor();
    expect(await page.getByRole('link', { name: /Project report/ }).count()).toBe(0);
    await page.goto(`${server.url}/tickets?project=${projectId}`);
    const link = page.getByRole('link', { name: /Project report/ });
    expect(await link.getAttribute('href')).toBe(`/api/projects/${projectId}/report`);
    expect(await link.getAttribute('target')).toBe('_blank');
  });

  it('shows a print button and its contents on screen, hides both in print', async () => {
    const button = report.getByRole('button', { name: 'Print' });
    const nav = report.getByRole('navigation');
    expect(await button.isVisible()).toBe(true);
    expect(await nav.isVisible()).toBe(true);
    const chart = report.getByRole('img', { name: 'Tickets per week' });
    expect(await chart.isVisible()).toBe(true);

    await report.emulateMedia({ media: 'print' });
    expect(await button.isVisible()).toBe(false);
    expect(await nav.isVisible()).toBe(false);
    expect(await chart.isVisible()).toBe(true);
    const style = (selector: string, property: string) =>
      report
        .locator(selector)
        .first()
        .evaluate((element, name) => getComputedStyle(element).getPropertyValue(name), property);
    // The tickets' section starts a page; its first ticket stays under the heading, every other one starts its own.
    expect(await style('#tickets', 'break-before')).toBe('page');
    expect(await style('article.ticket', 'break-before')).toBe('avoid');
    expect(await style('article.ticket:nth-of-type(2)', 'break-before')).toBe('page');
    expect(await style('li.job', 'break-inside')).toBe('avoid');
  });

  it('prints to a PDF of several pages, one ticket per page at least', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'report-pdf-'));
    try {
      const file = path.join(dir, 'report.pdf');
      await report.pdf({ path: file, format: 'A4' });
      const pdf = readFileSync(file);
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      // The title page with figures and chart, then a page per ticket.
      expect(pdfPageCount(pdf)).toBeGreaterThanOrEqual(TICKETS + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('looks like a document in print (screenshot for the README)', async () => {
    mkdirSync(screenshotDir, { recursive: true });
    // About the width of an A4 page at 96 dpi, as the printer lays it out.
    await report.setViewportSize({ width: 794, height: 1123 });
    await report.screenshot({ path: path.join(screenshotDir, 'project-report-print.png'), fullPage: false });
    await report
      .locator('article.ticket')
      .nth(1)
      .screenshot({ path: path.join(screenshotDir, 'project-report-print-ticket.png') });
    await report.emulateMedia({ media: 'screen' });
    await report.screenshot({ path: path.join(screenshotDir, 'project-report-screen.png'), fullPage: false });
  });
});
