import { readFileSync } from 'node:fs';
import type { AxeResults } from 'axe-core';
import type { Page } from 'playwright-core';

// page.addScriptTag would add an inline <script>, which the app's CSP (script-src 'self') refuses.
// Evaluating the source through the DevTools protocol is not subject to the CSP, so the page under
// test keeps its real policy.
const axeSource = readFileSync(require.resolve('axe-core'), 'utf8');

/** WCAG 2.0, 2.1 and 2.2 at levels A and AA, plus axe's best practices (landmarks, headings). */
const RULE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export const BLOCKING_IMPACTS = ['serious', 'critical'];

export interface Violation {
  impact: string;
  text: string;
}

/** Runs axe on the page as it is and returns each violation as readable lines: rule, impact, where. */
export async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(
    (tags) =>
      (
        window as unknown as { axe: { run: (context: Document, options: object) => Promise<AxeResults> } }
      ).axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }),
    RULE_TAGS,
  );
  return results.violations.map((violation) => ({
    impact: violation.impact ?? 'unknown',
    text: [
      `[${violation.impact}] ${violation.id}: ${violation.help} (${violation.helpUrl})`,
      ...violation.nodes.map(
        (node) => `    at ${node.target.join(' ')}: ${node.failureSummary?.replace(/\s*\n\s*/g, ' ') ?? ''}`,
      ),
    ].join('\n'),
  }));
}

/** The focused element shows where it is: a visible outline or a box-shadow ring. */
export async function focusIsVisible(page: Page): Promise<{ element: string; visible: boolean }> {
  return page.evaluate(() => {
    const element = document.activeElement as HTMLElement | null;
    if (!element || element === document.body) return { element: 'body', visible: false };
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== 'none' && style.boxShadow !== '';
    const name = `${element.tagName.toLowerCase()}${element.id ? `#${element.id}` : ''} "${(element.textContent ?? '').trim().slice(0, 40)}"`;
    return { element: name, visible: outline || shadow };
  });
}
