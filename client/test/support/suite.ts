import type { Browser, Page } from 'playwright-core';
import type { StartOptions } from '../../../server/src/app';
import type { ConfigOverrides } from '../../../server/src/config';
import { launchBrowser, newPage, type PageProblems } from './browser';
import { startTestServer, type TestServer } from './server';

export interface BrowserSuite {
  server: TestServer;
  browser: Browser;
  /** The page most tests of the spec share (not opened with `sharedPage: false`). */
  page: Page;
  problems: PageProblems;
}

/**
 * Registers the hooks every browser spec needs: a fresh server (clock, mailer or settings from `server`),
 * seeded through the API by `seed`, one Chromium, a shared page, and a check after each test that the
 * page logged no error.
 * The returned object is filled in by beforeAll, so read its fields inside tests only.
 */
export function useBrowserSuite(
  seed: (url: string, server: TestServer) => Promise<void> = async () => {},
  {
    sharedPage = true,
    server,
  }: { sharedPage?: boolean; server?: StartOptions & { config?: ConfigOverrides } } = {},
): BrowserSuite {
  const suite = {} as BrowserSuite;

  beforeAll(async () => {
    suite.server = await startTestServer(server);
    await seed(suite.server.url, suite.server);
    suite.browser = await launchBrowser();
    if (sharedPage) Object.assign(suite, await newPage(suite.browser));
  });

  afterAll(async () => {
    await suite.browser?.close();
    await suite.server?.close();
  });

  afterEach(() => {
    expect(suite.problems?.errors ?? []).toEqual([]);
  });

  return suite;
}
