import { escapeHtml } from '../outbox/email-html';
import type { WeekCount } from '../stats/stats.types';

export interface ChartText {
  title: string;
  description: string;
  opened: string;
  closed: string;
  /** A week's start as the reader writes a date. */
  weekLabel(weekStart: Date): string;
}

const WIDTH = 720;
const HEIGHT = 240;
const PLOT = { left: 40, right: 10, top: 30, bottom: 30 };
const MAX_SLOT = 48;
// Dark and light, so the two series stay apart on a black-and-white printer too.
export const OPENED_COLOUR = '#1e3a8a';
export const CLOSED_COLOUR = '#f59e0b';

/** A round ceiling for the axis, so its top label reads well (1, 2, 5, 10, 20, 50…). */
function axisMax(value: number): number {
  if (value <= 1) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((factor) => factor * step >= value) ?? 10) * step;
}

const round = (value: number) => Math.round(value * 100) / 100;

/**
 * Tickets opened and closed per week as grouped bars in inline SVG: no script, no external resource,
 * so it prints and passes the page's CSP. role="img" with a title and description is its text
 * alternative; the page puts the same figures in a table after it.
 */
export function weeklyChart(weeks: WeekCount[], text: ChartText): string {
  const top = axisMax(Math.max(0, ...weeks.map((week) => Math.max(week.opened, week.closed))));
  const plotWidth = WIDTH - PLOT.left - PLOT.right;
  const plotHeight = HEIGHT - PLOT.top - PLOT.bottom;
  // A few weeks get slim bars on the left, not bars as wide as the page.
  const slot = Math.min(MAX_SLOT, plotWidth / Math.max(1, weeks.length));
  const bar = Math.max(0.5, (slot * 0.8) / 2);
  const y = (count: number) => PLOT.top + plotHeight - (count / top) * plotHeight;
  const bars = weeks.flatMap((week, index) => {
    const x = PLOT.left + index * slot + slot * 0.1;
    const label = `${text.weekLabel(week.weekStart)}: ${text.opened} ${week.opened}, ${text.closed} ${week.closed}`;
    return [
      `<g><title>${escapeHtml(label)}</title>`,
      `<rect x="${round(x)}" y="${round(y(week.opened))}" width="${round(bar)}" height="${round(PLOT.top + plotHeight - y(week.opened))}" fill="${OPENED_COLOUR}"/>`,
      `<rect x="${round(x + bar)}" y="${round(y(week.closed))}" width="${round(bar)}" height="${round(PLOT.top + plotHeight - y(week.closed))}" fill="${CLOSED_COLOUR}"/></g>`,
    ];
  });
  const first = weeks[0];
  const last = weeks[weeks.length - 1];
  const baseline = PLOT.top + plotHeight;
  return [
    `<svg class="chart" role="img" aria-labelledby="chart-title chart-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%">`,
    `<title id="chart-title">${escapeHtml(text.title)}</title>`,
    `<desc id="chart-desc">${escapeHtml(text.description)}</desc>`,
    `<g font-size="11" fill="#333" font-family="sans-serif">`,
    `<rect x="${PLOT.left}" y="6" width="10" height="10" fill="${OPENED_COLOUR}"/><text x="${PLOT.left + 14}" y="15">${escapeHtml(text.opened)}</text>`,
    `<rect x="${PLOT.left + 110}" y="6" width="10" height="10" fill="${CLOSED_COLOUR}"/><text x="${PLOT.left + 124}" y="15">${escapeHtml(text.closed)}</text>`,
    `<text x="${PLOT.left - 6}" y="${PLOT.top + 4}" text-anchor="end">${top}</text>`,
    `<text x="${PLOT.left - 6}" y="${baseline}" text-anchor="end">0</text>`,
    first
      ? `<text x="${PLOT.left}" y="${HEIGHT - 10}">${escapeHtml(text.weekLabel(first.weekStart))}</text>`
      : '',
    last && last !== first
      ? `<text x="${round(PLOT.left + weeks.length * slot)}" y="${HEIGHT - 10}" text-anchor="end">${escapeHtml(text.weekLabel(last.weekStart))}</text>`
      : '',
    `</g>`,
    `<line x1="${PLOT.left}" y1="${PLOT.top}" x2="${PLOT.left}" y2="${baseline}" stroke="#999"/>`,
    `<line x1="${PLOT.left}" y1="${baseline}" x2="${WIDTH - PLOT.right}" y2="${baseline}" stroke="#999"/>`,
    ...bars,
    '</svg>',
  ].join('\n');
}
