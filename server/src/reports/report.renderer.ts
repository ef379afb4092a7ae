import { createHash } from 'node:crypto';
import { type ActivityMessages, activityMessages } from '../notifications/activity-messages';
import { describeChange, isOpeningJob, jobHeading } from '../notifications/ticket-activity.renderer';
import { escapeHtml } from '../outbox/email-html';
import { emailLocaleOf } from '../outbox/email-locale';
import type { CountByKey } from '../stats/stats.types';
import { TicketStatus } from '../tickets/ticket.enums';
import { weeklyChart } from './report-chart';
import { type ReportMessages, reportMessages } from './report-messages';
import type { ProjectReport, ReportPerson, ReportTicket } from './report.service';

/** Shows the print button and makes it print: the page's only script, allowed by its hash alone. */
const PRINT_SCRIPT =
  "const b=document.getElementById('print');b.hidden=false;b.addEventListener('click',()=>window.print());";
const PRINT_SCRIPT_HASH = createHash('sha256').update(PRINT_SCRIPT).digest('base64');

/** Nothing from elsewhere: inline styles, data: images, and the one hashed script above. */
export const REPORT_CSP = [
  "default-src 'none'",
  "style-src 'unsafe-inline'",
  'img-src data:',
  `script-src 'sha256-${PRINT_SCRIPT_HASH}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const STYLE = `
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, sans-serif; color: #111; background: #fff; max-width: 60rem; margin: 0 auto; padding: 0 1.5rem 2rem; }
.toolbar { position: sticky; top: 0; background: #fff; display: flex; justify-content: space-between; align-items: center; gap: 1rem; border-bottom: 1px solid #ddd; padding: .5rem 0; }
.toolbar ul { display: flex; gap: 1.25rem; list-style: none; margin: 0; padding: 0; }
.toolbar button { font: inherit; padding: .35rem 1rem; border: 1px solid #1e3a8a; background: #1e3a8a; color: #fff; border-radius: 4px; cursor: pointer; }
.kicker { text-transform: uppercase; letter-spacing: .06em; color: #555; margin: 1.5rem 0 0; font-size: .8rem; }
h1 { font-size: 1.8rem; margin: .2rem 0 .5rem; }
h2 { font-size: 1.3rem; margin: 2rem 0 .75rem; border-bottom: 1px solid #ccc; }
h3 { font-size: 1.1rem; margin: .25rem 0 .5rem; }
h4 { font-size: .95rem; margin: 1rem 0 .25rem; }
.meta { color: #444; margin: .2rem 0; }
.badge { display: inline-block; border: 1px solid #777; border-radius: 3px; padding: 0 .4rem; font-size: .8rem; }
.notice { border-left: 4px solid #1e3a8a; background: #eef2ff; padding: .5rem .75rem; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
.figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(13rem, 1fr)); gap: 1rem 2rem; align-items: start; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; font-weight: 600; padding-bottom: .25rem; }
th, td { text-align: left; border-bottom: 1px solid #ddd; padding: .15rem .4rem; }
.n { text-align: right; font-variant-numeric: tabular-nums; }
.chart { display: block; max-width: 100%; height: auto; margin: .5rem 0 1rem; }
.weeks { max-width: 28rem; }
.ticket { border-top: 2px solid #333; margin-top: 2rem; padding-top: .5rem; }
.fields { display: grid; grid-template-columns: max-content 1fr; gap: .1rem 1rem; margin: .5rem 0; }
.fields dt { font-weight: 600; }
.fields dd { margin: 0; }
.jobs { list-style: none; padding: 0; margin: 0; }
.job { border-left: 3px solid #bbb; padding: .2rem .75rem; margin: .6rem 0; }
.job p { margin: 0; }
.job time { color: #555; font-size: .9rem; }
.job ul { margin: .2rem 0; padding-left: 1.2rem; }
.job blockquote { margin: .3rem 0 0; padding-left: .75rem; border-left: 2px solid #ddd; }
footer { margin-top: 3rem; color: #555; }
@media print {
  @page { margin: 18mm 16mm; }
  body { max-width: none; padding: 0; font-size: 10.5pt; }
  .toolbar, #print { display: none !important; }
  .notice { background: none; }
  .ticket { break-before: page; border-top: none; margin-top: 0; }
  /* The tickets start a page with their heading, never leaving it alone under the figures. */
  #tickets { break-before: page; }
  #tickets > article.ticket:first-of-type { break-before: avoid; }
  .job, tr, .chart, .figures table { break-inside: avoid; }
  h2, h3, h4 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
}
`;

interface Words {
  report: ReportMessages;
  activity: ActivityMessages;
  colon: string;
}

const wordsOf = (report: ProjectReport): Words => ({
  report: reportMessages[report.locale] ?? reportMessages.EN,
  activity: activityMessages[report.locale] ?? activityMessages.EN,
  colon: emailLocaleOf(report.locale).colon,
});

// Intl formatters are costly to build; a report of thousands of jobs reuses one per language.
const formatters = new Map<
  string,
  { day: Intl.DateTimeFormat; time: Intl.DateTimeFormat; number: Intl.NumberFormat }
>();
function formatterOf(intlLocale: string) {
  let formatter = formatters.get(intlLocale);
  if (!formatter) {
    formatter = {
      day: new Intl.DateTimeFormat(intlLocale, { dateStyle: 'medium', timeZone: 'UTC' }),
      time: new Intl.DateTimeFormat(intlLocale, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' }),
      number: new Intl.NumberFormat(intlLocale, { maximumFractionDigits: 1 }),
    };
    formatters.set(intlLocale, formatter);
  }
  return formatter;
}

const day = (words: Words, at: Date) => formatterOf(words.report.intlLocale).day.format(at);
const number = (words: Words, value: number) => formatterOf(words.report.intlLocale).number.format(value);
const time = (words: Words, at: Date) =>
  `<time datetime="${at.toISOString()}">${escapeHtml(formatterOf(words.report.intlLocale).time.format(at))}</time>`;

/** The reader is staff: WAITING reads "waiting for the reporter", as in the staff's emails. */
function statusName(words: Words, status: string): string {
  return status === TicketStatus.WAITING
    ? words.activity.waitingForReporter
    : (words.activity.statuses[status] ?? status);
}

const personName = (words: Words, person: ReportPerson) =>
  `${person.username} (${words.report.roles[person.role]})`;

function duration(words: Words, hours: number | null): string {
  if (hours === null) return words.report.noneClosed;
  // Under an hour in minutes: a fast team's median must not read "0 h".
  if (hours < 1) return words.report.minutes(number(words, Math.round(hours * 60)));
  return hours < 48 ? words.report.hours(number(words, hours)) : words.report.days(number(words, hours / 24));
}

function countTable(
  caption: string,
  words: Words,
  rows: CountByKey[],
  name: (key: string) => string,
): string {
  const body = rows
    .map(
      (row) =>
        `<tr><th scope="row">${escapeHtml(name(row.key))}</th><td class="n">${number(words, row.count)}</td></tr>`,
    )
    .join('');
  return `<table><caption>${escapeHtml(caption)}</caption><thead><tr><th scope="col"></th><th scope="col" class="n">${escapeHtml(words.report.count)}</th></tr></thead><tbody>${body}</tbody></table>`;
}

function figures(report: ProjectReport, words: Words): string {
  const { stats } = report;
  const { report: text, activity } = words;
  const summary = [
    [text.open, number(words, stats.open)],
    [text.closed, number(words, stats.closed)],
    [text.total, number(words, stats.total)],
    [text.medianTimeToClose, duration(words, stats.medianHoursToClose)],
  ]
    .map(
      ([label, value]) =>
        `<tr><th scope="row">${escapeHtml(label)}</th><td class="n">${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  return [
    `<section id="figures" aria-labelledby="figures-title"><h2 id="figures-title">${escapeHtml(text.figures)}</h2><div class="figures">`,
    `<table><caption>${escapeHtml(text.summary)}</caption><tbody>${summary}</tbody></table>`,
    countTable(text.byStatus, words, stats.byStatus, (key) => statusName(words, key)),
    countTable(text.byCategory, words, stats.byCategory, (key) => activity.categories[key] ?? key),
    countTable(text.byPriority, words, stats.byPriority, (key) => activity.priorities[key] ?? key),
    '</div></section>',
  ].join('\n');
}

function perWeek(report: ProjectReport, words: Words): string {
  const weeks = report.stats.perWeek;
  const { report: text } = words;
  const opened = weeks.reduce((sum, week) => sum + week.opened, 0);
  const closed = weeks.reduce((sum, week) => sum + week.closed, 0);
  const busiest = weeks.reduce((top, week) => (week.opened > top.opened ? week : top), weeks[0]);
  const first = weeks[0]?.weekStart ?? report.from;
  const last = weeks[weeks.length - 1]?.weekStart ?? report.to;
  const description = [
    text.chartDescription(day(words, first), day(words, last), opened, closed),
    busiest && busiest.opened > 0 ? text.busiestWeek(day(words, busiest.weekStart), busiest.opened) : '',
  ]
    .join(' ')
    .trim();
  const rows = weeks
    .map(
      (week) =>
        `<tr><th scope="row">${escapeHtml(day(words, week.weekStart))}</th><td class="n">${number(words, week.opened)}</td><td class="n">${number(words, week.closed)}</td></tr>`,
    )
    .join('');
  return [
    `<section id="per-week" aria-labelledby="per-week-title"><h2 id="per-week-title">${escapeHtml(text.perWeek)}</h2>`,
    weeklyChart(weeks, {
      title: text.perWeek,
      description,
      opened: text.opened,
      closed: text.closed,
      weekLabel: (weekStart) => day(words, weekStart),
    }),
    `<table class="weeks"><caption>${escapeHtml(text.perWeek)}</caption><thead><tr><th scope="col">${escapeHtml(text.weekOf)}</th><th scope="col" class="n">${escapeHtml(text.opened)}</th><th scope="col" class="n">${escapeHtml(text.closed)}</th></tr></thead><tbody>${rows}</tbody></table>`,
    '</section>',
  ].join('\n');
}

/** The page up to the first ticket: head, title, period, figures and chart. Sent before any ticket is read. */
export function reportStart(report: ProjectReport): string {
  const words = wordsOf(report);
  const { report: text } = words;
  const { project } = report;
  const lastDay = new Date(report.to.getTime() - 1);
  return [
    `<!doctype html><html lang="${report.locale.toLowerCase()}"><head><meta charset="utf-8">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(text.title(project.name))}</title><style>${STYLE}</style></head><body>`,
    `<nav class="toolbar" aria-label="${escapeHtml(text.contents)}"><ul>`,
    `<li><a href="#figures">${escapeHtml(text.figures)}</a></li><li><a href="#per-week">${escapeHtml(text.perWeek)}</a></li><li><a href="#tickets">${escapeHtml(text.tickets)}</a></li>`,
    `</ul><button type="button" id="print" hidden>${escapeHtml(text.print)}</button></nav>`,
    `<header><p class="kicker">${escapeHtml(text.report)}</p><h1>${escapeHtml(project.name)}</h1>`,
    project.archived ? `<p><span class="badge">${escapeHtml(text.archived)}</span></p>` : '',
    `<p class="text description">${escapeHtml(project.description || text.noDescription)}</p>`,
    `<p class="meta period">${escapeHtml(text.period(day(words, report.from), day(words, lastDay)))}</p>`,
    `<p class="meta">${escapeHtml(text.generated(formatterOf(text.intlLocale).time.format(report.generatedAt)))}</p>`,
    `<p class="notice">${escapeHtml(text.publicOnly)}</p></header><main>`,
    figures(report, words),
    perWeek(report, words),
    `<section id="tickets" aria-labelledby="tickets-title"><h2 id="tickets-title">${escapeHtml(text.tickets)}</h2>`,
    `<p class="meta">${escapeHtml(text.ticketCount(report.stats.total))}</p>`,
  ].join('\n');
}

function jobItem(report: ProjectReport, words: Words, { job, author }: ReportTicket['jobs'][number]): string {
  const opening = isOpeningJob(job);
  const changes = opening
    ? []
    : job.changes.map((change) =>
        describeChange(change, report.reader, words.activity, words.colon, Infinity),
      );
  return [
    `<li class="job" id="job-${job.id}"><p><strong>${escapeHtml(jobHeading(job, personName(words, author), words.activity))}</strong> · ${time(words, job.createdAt)}</p>`,
    changes.length > 0
      ? `<ul>${changes.map((change) => `<li>${escapeHtml(change)}</li>`).join('')}</ul>`
      : '',
    job.comment ? `<blockquote class="text">${escapeHtml(job.comment)}</blockquote>` : '',
    '</li>',
  ].join('');
}

function ticketArticle(report: ProjectReport, words: Words, item: ReportTicket): string {
  const { ticket } = item;
  const { report: text, activity } = words;
  const field = (label: string, value: string) => `<dt>${escapeHtml(label)}</dt><dd>${value}</dd>`;
  return [
    `<article class="ticket" id="ticket-${ticket.id}" aria-labelledby="ticket-${ticket.id}-title">`,
    `<h3 id="ticket-${ticket.id}-title">#${ticket.id} · ${escapeHtml(ticket.title)}</h3><dl class="fields">`,
    field(activity.fields.status, escapeHtml(statusName(words, ticket.status))),
    field(activity.fields.priority, escapeHtml(activity.priorities[ticket.priority] ?? ticket.priority)),
    field(activity.fields.category, escapeHtml(activity.categories[ticket.category] ?? ticket.category)),
    field(text.reporter, escapeHtml(personName(words, item.author))),
    field(
      activity.fields.assignee,
      escapeHtml(item.assignee ? personName(words, item.assignee) : text.unassigned),
    ),
    field(text.createdAt, time(words, ticket.createdAt)),
    field(text.updatedAt, time(words, ticket.updatedAt)),
    ticket.closedAt ? field(text.closedAt, time(words, ticket.closedAt)) : '',
    `</dl><h4>${escapeHtml(activity.fields.description)}</h4><p class="text">${escapeHtml(ticket.description)}</p>`,
    `<h4>${escapeHtml(text.history)}</h4><ol class="jobs">`,
    ...item.jobs.map((job) => jobItem(report, words, job)),
    '</ol></article>',
  ].join('\n');
}

/** One batch of tickets, written as soon as it is read. */
export function reportTickets(report: ProjectReport, batch: ReportTicket[]): string {
  const words = wordsOf(report);
  return batch.map((item) => ticketArticle(report, words, item)).join('\n');
}

/** After the last batch; `listed` says whether any ticket was written. */
export function reportEnd(report: ProjectReport, listed: number): string {
  const { report: text } = wordsOf(report);
  return [
    listed === 0 ? `<p>${escapeHtml(text.noTickets)}</p>` : '',
    `</section></main><footer><p>${escapeHtml(text.end)}</p></footer>`,
    `<script>${PRINT_SCRIPT}</script></body></html>\n`,
  ].join('\n');
}
