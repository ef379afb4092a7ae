import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const inCI = process.env.CI === 'true';

// A browser step waits for real network and rendering: the 5 s default of jest is too short.
jest.setTimeout(60_000);
const available = existsSync(CHROMIUM_PATH);

/**
 * Tells why tests are skipped. Jest prints no console output of a suite whose tests are all skipped,
 * so the reason goes to the file of the summary reporter (server/test/support/summary-reporter.cjs),
 * which prints each reason once at the end of the run; without that reporter, to the console.
 */
function reportSkip(reason: string): void {
  const notes = process.env.SIMPLE_TICKETING_SKIP_NOTES;
  if (notes) appendFileSync(notes, `${reason}\n`, { mode: 0o600 });
  else console.warn(`SKIPPED: ${reason}`);
}

if (!available && !inCI) {
  reportSkip(
    `the browser tests of the client are skipped: ${CHROMIUM_PATH} is missing ` +
      `(install it with: apt-get update && apt-get install -y chromium; under CI=true this fails the run).`,
  );
}

/**
 * describe() for specs that need Chromium: skipped outside CI when it is missing (the reason is printed
 * at the end of the run); in CI (CI=true) a missing browser is not skipped, so launching fails the run.
 */
export const describeWithBrowser: jest.Describe = available || inCI ? describe : describe.skip;

export async function launchBrowser(): Promise<Browser> {
  if (!available)
    throw new Error(`Chromium is required for the browser tests but ${CHROMIUM_PATH} does not exist.`);
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface PageProblems {
  /** Uncaught exceptions and console errors, so a broken page fails its test. */
  errors: string[];
  /** Dialogs opened by the page (alert, confirm...): an XSS payload would open one. */
  dialogs: string[];
}

/** A fresh page (own cookies) that records page errors and dismisses, but records, any dialog. */
export async function newPage(
  browser: Browser,
  locale = 'en-GB',
): Promise<{ page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: PageProblems = { errors: [], dialogs: [] };
  page.on('pageerror', (error) => problems.errors.push(error.message));
  page.on('console', (message) => {
    // Failed GraphQL calls are expected in some tests (401/400 answers are logged by Chromium as resource errors).
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
      problems.errors.push(message.text());
    }
  });
  page.on('dialog', (dialog) => {
    problems.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return { page, problems };
}

const screenshotDir = path.resolve(__dirname, '..', '..', '..', 'artifacts', 'screenshots');

/** Saves the current view at desktop (1280 px) and phone (390 px) widths into artifacts/screenshots/. */
export async function screenshots(page: Page, name: string): Promise<void> {
  mkdirSync(screenshotDir, { recursive: true });
  const original = page.viewportSize() ?? { width: 1280, height: 900 };
  for (const [suffix, width, height] of [
    ['desktop', 1280, 900],
    ['phone', 390, 844],
  ] as const) {
    await page.setViewportSize({ width, height });
    // From the top, so the sticky header is not painted over the middle of the full-page image.
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(150);
    await page.screenshot({ path: path.join(screenshotDir, `${name}-${suffix}.png`), fullPage: true });
  }
  await page.setViewportSize(original);
}

/** Logs in through the login form, as a person would, and waits for the home page. */
export async function logIn(page: Page, baseUrl: string, login: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.locator('#login').fill(login);
  await page.locator('#password').fill(password);
  await page.locator('form button[type="submit"]').click();
  await page.waitForURL((url) => url.pathname !== '/login');
}
