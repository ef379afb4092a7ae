import { ManualClock, DAY_MS, HOUR_MS } from '../src/clock';
import { REPORT_BATCH_SIZE, ReportService } from '../src/reports/report.service';
import { Job } from '../src/tickets/job.entity';
import { Ticket } from '../src/tickets/ticket.entity';
import { Priority, TicketCategory, TicketStatus } from '../src/tickets/ticket.enums';
import { Role } from '../src/users/role';
import { User } from '../src/users/user.entity';
import { CREATE_PROJECT, UPDATE_ME, UPDATE_TICKET } from './support/operations';
import { type RawResponse, TestApi, type TestUser } from './support/test-server';

const HOSTILE_TITLE = '<script>alert(1)</script> Login fails';
const HOSTILE_COMMENT = '"><img src=x onerror=alert(3)>';
const SECRET = 'SECRET internal note: the password is hunter2';

let clock: ManualClock;
let api: TestApi;
let admin: TestUser;
let agent: TestUser;
let alice: TestUser;
let bob: TestUser;
let projectId: string;
let archivedId: string;
let readToken: string;
let ids: { login: string; question: string; slow: string; elsewhere: string };

const report = (path: string, init: { token?: string; headers?: Record<string, string> } = {}) =>
  api.http(`/api/projects/${path}`, {
    headers: {
      accept: 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...init.headers,
    },
  });

/** The page as text, with its tags kept: the tests look for escaped text and the absence of markup. */
async function page(path: string, token = agent.token): Promise<string> {
  const response = await report(path, { token, headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
  return response.text;
}

/** The text of the article of one ticket, from its heading to its end. */
function article(html: string, id: string): string {
  const start = html.indexOf(`<article class="ticket" id="ticket-${id}"`);
  expect(start).toBeGreaterThan(-1);
  return html.slice(start, html.indexOf('</article>', start));
}

const expectError = (response: RawResponse, status: number, code: string) => {
  expect(response.status).toBe(status);
  expect(response.json?.error?.code).toBe(code);
  expect(response.text).not.toMatch(/at \w+ \(|SELECT|sqlite/i);
};

const update = (who: TestUser, id: string, input: Record<string, unknown>) =>
  api.ok(UPDATE_TICKET, { id, input }, who.token);

beforeAll(async () => {
  // Monday 3 March 2025, 09:00 UTC: the weeks of the report start on the 3rd, 10th and 17th.
  clock = new ManualClock(new Date('2025-03-03T09:00:00Z'));
  api = await TestApi.start({ apiTokenBudget: 1_000, tokenTtlSeconds: 90 * 86_400 }, { clock });
  ({ admin, agent } = await api.registerAdminAndAgent());
  alice = await api.register('alice');
  bob = await api.register('bob');
  const created = await api.ok<{ createProject: { id: string } }>(
    CREATE_PROJECT,
    {
      input: {
        name: 'Web <b>shop</b>',
        description: 'The public shop.\nSecond line "><img src=x onerror=alert(2)>',
      },
    },
    admin.token,
  );
  projectId = created.createProject.id;
  const other = await api.createProject(admin, 'Other');
  archivedId = await api.createProject(admin, 'Old intranet');

  ids = {} as typeof ids;
  ids.login = await api.createTicket(alice, projectId, {
    title: HOSTILE_TITLE,
    description: 'Step one.\nStep two: nothing happens.',
    category: 'BUG',
  });
  clock.advance(DAY_MS);
  await update(agent, ids.login, {
    status: 'IN_PROGRESS',
    assigneeId: agent.id,
    comment: 'Looking into it.\nSecond line of the comment.',
  });
  clock.advance(HOUR_MS);
  await update(agent, ids.login, { comment: SECRET, internal: true });
  clock.advance(2 * DAY_MS - HOUR_MS);
  await update(agent, ids.login, { status: 'RESOLVED', comment: HOSTILE_COMMENT });

  clock.set(new Date('2025-03-11T10:00:00Z'));
  ids.question = await api.createTicket(bob, projectId, { title: 'How do I export?', category: 'QUESTION' });
  ids.elsewhere = await api.createTicket(bob, other, { title: 'Not in this project' });
  clock.set(new Date('2025-03-18T15:30:00Z'));
  ids.slow = await api.createTicket(alice, projectId, { title: 'Pages load slowly' });
  clock.advance(HOUR_MS);
  await update(agent, ids.slow, { priority: 'URGENT' });
  await api.createTicket(alice, archivedId, { title: 'Before it closed' });
  await api.ok(
    'mutation ($id: ID!) { updateProject(id: $id, input: { archived: true }) { id } }',
    { id: archivedId },
    admin.token,
  );
  clock.set(new Date('2025-03-24T08:00:00Z'));

  const token = await api.ok<{ createApiToken: { secret: string } }>(
    'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { secret } }',
    { input: { name: 'docs', scope: 'READ' } },
    agent.token,
  );
  readToken = token.createApiToken.secret;
});

afterAll(async () => {
  await api.stop();
});

describe('the content of the report of a known project', () => {
  let html: string;
  beforeAll(async () => {
    html = await page(`${projectId}/report`);
  });

  test("names the project, its description and the period, in the reader's language", () => {
    expect(html).toMatch(/^<!doctype html><html lang="en">/);
    expect(html).toContain('<h1>Web &lt;b&gt;shop&lt;/b&gt;</h1>');
    expect(html).toContain('The public shop.\nSecond line &quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    // Without from/to: from the first ticket to today.
    expect(html).toContain('Tickets opened from 3 Mar 2025 to 24 Mar 2025 (dates in UTC)');
    expect(html).toContain('it shows the public history of each ticket only. Internal notes are left out');
  });

  test('gives the figures of the stats as small tables', () => {
    const row = (label: string, value: string) =>
      `<tr><th scope="row">${label}</th><td class="n">${value}</td></tr>`;
    expect(html).toContain(row('Open', '2'));
    expect(html).toContain(row('Closed', '1'));
    expect(html).toContain(row('Total', '3'));
    // Opened on the 3rd at 09:00, resolved on the 6th at 09:00.
    expect(html).toContain(row('Median time to close', '3 days'));
    expect(html).toContain(row('Resolved', '1'));
    expect(html).toContain(row('Waiting for reporter', '0'));
    expect(html).toContain(row('Bug', '1'));
    expect(html).toContain(row('Question', '1'));
    expect(html).toContain(row('Urgent', '1'));
    expect(html).toContain(row('Normal', '2'));
  });

  test('draws tickets per week as an inline SVG with a text alternative and a table', () => {
    expect(html).toContain('<svg class="chart" role="img" aria-labelledby="chart-title chart-desc"');
    expect(html).toContain('<title id="chart-title">Tickets per week</title>');
    expect(html).toMatch(
      /<desc id="chart-desc">Bar chart of the tickets opened and closed each week, from the week of 3 Mar 2025 to the week of 24 Mar 2025: 3 opened and 1 closed in all\./,
    );
    const week = (start: string, opened: number, closed: number) =>
      `<tr><th scope="row">${start}</th><td class="n">${opened}</td><td class="n">${closed}</td></tr>`;
    expect(html).toContain(week('3 Mar 2025', 1, 1));
    expect(html).toContain(week('10 Mar 2025', 1, 0));
    expect(html).toContain(week('17 Mar 2025', 1, 0));
    expect(html).toContain(week('24 Mar 2025', 0, 0));
  });

  test("lists every ticket of the project by number, and no other project's", () => {
    const positions = [ids.login, ids.question, ids.slow].map((id) =>
      html.indexOf(`<article class="ticket" id="ticket-${id}"`),
    );
    expect(positions.every((position) => position > 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(html).not.toContain('Not in this project');
    expect(html).toContain('<p class="meta">3 tickets</p>');
  });

  test('gives each ticket its fields and its public history in order, changes in words', () => {
    const login = article(html, ids.login);
    expect(login).toContain('<dt>Status</dt><dd>Resolved</dd>');
    expect(login).toContain('<dt>Category</dt><dd>Bug</dd>');
    expect(login).toContain(`<dt>Reporter</dt><dd>${alice.username} (user)</dd>`);
    expect(login).toContain(`<dt>Assignee</dt><dd>${agent.username} (agent)</dd>`);
    expect(login).toContain(
      '<dt>Opened</dt><dd><time datetime="2025-03-03T09:00:00.000Z">3 Mar 2025, 09:00</time>',
    );
    expect(login).toContain('<p class="text">Step one.\nStep two: nothing happens.</p>');
    const steps = [
      `${alice.username} (user) opened the ticket`,
      `${agent.username} (agent) commented and changed the ticket`,
      'Status: Open → In progress',
      `Assignee: none → ${agent.username}`,
      '<blockquote class="text">Looking into it.\nSecond line of the comment.</blockquote>',
      'Status: In progress → Resolved',
    ].map((text) => login.indexOf(text));
    expect(steps.every((position) => position > 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    expect(login.match(/<li class="job"/g)).toHaveLength(3);
    expect(article(html, ids.slow)).toContain('Priority: Normal → Urgent');
  });

  test('leaves out internal notes, even for the staff reading it', async () => {
    expect(html).not.toContain('SECRET');
    expect(html).not.toContain('internal note (staff only)');
    expect(await page(`${projectId}/report`, admin.token)).not.toContain('SECRET');
  });

  test('escapes everything people wrote', () => {
    expect(html).toContain(`#${ids.login} · &lt;script&gt;alert(1)&lt;/script&gt; Login fails`);
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(3)&gt;');
    expect(html).not.toContain(HOSTILE_TITLE);
    expect(html).not.toContain(HOSTILE_COMMENT);
    expect(html).not.toMatch(/<img|<b>|onerror=alert\(\d\)>/);
    // The one script is the page's own print button.
    expect(html.match(/<script/g)).toHaveLength(1);
  });

  test('is self-contained, under a strict CSP, and never cached', async () => {
    const response = await report(`${projectId}/report`, {
      token: agent.token,
      headers: { accept: 'text/html' },
    });
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(
      /^default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-[\w+/=]+'/,
    );
    expect(csp).toContain("frame-ancestors 'none'");
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-disposition')).toBe(
      `inline; filename="project-${projectId}-report.html"`,
    );
    expect(html).not.toMatch(/https?:\/\/|<link|<iframe|\ssrc="|url\(|@import/i);
    expect(html).toContain('@media print');
    expect(html).toMatch(/\.ticket \{ break-before: page;/);
    expect(html).toMatch(/\.job, tr, [^{]*\{ break-inside: avoid; \}/);
  });
});

describe('the language', () => {
  test('lang=fr writes it in French, with the email wording of changes', async () => {
    const html = await page(`${projectId}/report?lang=fr`);
    expect(html).toMatch(/^<!doctype html><html lang="fr">/);
    expect(html).toContain('Rapport du projet');
    expect(html).toContain('Tickets ouverts du 3 mars 2025 au 24 mars 2025 (dates en UTC)');
    expect(html).toContain(
      '<tr><th scope="row">Délai médian de fermeture</th><td class="n">3\u00a0jours</td></tr>',
    );
    expect(html).toContain('Statut\u00a0: Ouvert → En cours');
    expect(html).toContain(`${agent.username} (agent) a commenté et modifié le ticket`);
    expect(html).toContain('<dt>Catégorie</dt><dd>Bogue</dd>');
    expect(html).toContain('il ne montre que l’historique public');
    expect(html).not.toContain('SECRET');
  });

  test("follows the reader's own language, which lang overrides", async () => {
    await api.ok(UPDATE_ME, { input: { locale: 'FR' } }, admin.token);
    try {
      expect(await page(`${projectId}/report`, admin.token)).toMatch(/<html lang="fr">/);
      expect(await page(`${projectId}/report?lang=EN`, admin.token)).toMatch(/<html lang="en">/);
    } finally {
      await api.ok(UPDATE_ME, { input: { locale: 'EN' } }, admin.token);
    }
  });
});

describe('the period', () => {
  test('from and to (both days included) narrow the tickets and the figures alike', async () => {
    const html = await page(`${projectId}/report?from=2025-03-10&to=2025-03-16`);
    expect(html).toContain('Tickets opened from 10 Mar 2025 to 16 Mar 2025');
    expect(html).toContain(`id="ticket-${ids.question}"`);
    expect(html).not.toContain(`id="ticket-${ids.login}"`);
    expect(html).not.toContain(`id="ticket-${ids.slow}"`);
    expect(html).toContain('<tr><th scope="row">Total</th><td class="n">1</td></tr>');
    expect(html).toContain('<p class="meta">1 ticket</p>');
  });

  test('a single day', async () => {
    const html = await page(`${projectId}/report?from=2025-03-03&to=2025-03-03`);
    expect(html).toContain(`id="ticket-${ids.login}"`);
    expect(html).not.toContain(`id="ticket-${ids.question}"`);
  });

  test('a period with no ticket says so', async () => {
    const html = await page(`${projectId}/report?from=2025-01-01&to=2025-01-31`);
    expect(html).toContain('No ticket was opened in this project during the period.');
    expect(html).toContain(
      '<tr><th scope="row">Median time to close</th><td class="n">no ticket closed</td></tr>',
    );
    expect(html).toMatch(/<\/html>\n$/);
  });

  test('an archived project is still reportable by staff', async () => {
    const html = await page(`${archivedId}/report`);
    expect(html).toContain('Archived project');
    expect(html).toContain('Before it closed');
  });
});

describe('who may read it', () => {
  const path = () => `${projectId}/report`;

  test('anonymous: 401, as JSON for a program', async () => {
    expectError(await report(path()), 401, 'UNAUTHENTICATED');
    expectError(await report(path(), { token: 'forged' }), 401, 'UNAUTHENTICATED');
  });

  test('anonymous in a browser: a small HTML page with the status and a way to sign in', async () => {
    const response = await report(path(), {
      headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.text).toContain('The report cannot be shown');
    expect(response.text).toContain('You must be signed in to do this.');
    expect(response.text).toContain('<a href="/login">Sign in</a>');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
  });

  test('a USER: 403, and nothing of the project is shown', async () => {
    const response = await report(path(), { token: alice.token });
    expectError(response, 403, 'FORBIDDEN');
    expect(response.text).not.toContain('shop');
    const browser = await report(path(), { token: bob.token, headers: { accept: 'text/html' } });
    expect(browser.status).toBe(403);
    expect(browser.text).toContain('This needs the role AGENT or ADMIN.');
  });

  test('an AGENT and an ADMIN by Bearer session, the session cookie, a READ API token', async () => {
    for (const token of [agent.token, admin.token, readToken]) {
      expect((await report(path(), { token })).status).toBe(200);
    }
    const cookie = await report(path(), {
      headers: { cookie: `st_session=${agent.token}`, accept: 'text/html' },
    });
    expect(cookie.status).toBe(200);
    expect(cookie.text).toContain('<h1>Web &lt;b&gt;shop&lt;/b&gt;</h1>');
  });

  test('an API token pays its cost and sees what is left', async () => {
    const response = await report(path(), { token: readToken });
    expect(response.headers.get('x-cost-requested')).toBe('5');
    expect(Number(response.headers.get('x-cost-remaining'))).toBeLessThan(1_000);
  });
});

describe('bad input: the contract code, never a 500', () => {
  test.each([
    [
      'a project id that is no number',
      'abc/report',
      400,
      'BAD_USER_INPUT',
      'id must be a positive whole number',
    ],
    ['an unknown project', '999999/report', 404, 'NOT_FOUND', 'Project 999999 not found.'],
    [
      'a date in another format',
      'P/report?from=03/01/2025',
      400,
      'BAD_USER_INPUT',
      'from must be a date like',
    ],
    ['a day that does not exist', 'P/report?to=2025-02-30', 400, 'BAD_USER_INPUT', 'to must be a date like'],
    ['a date with a time', 'P/report?from=2025-03-01T00:00', 400, 'BAD_USER_INPUT', 'from must be a date'],
    [
      'from after to',
      'P/report?from=2025-03-10&to=2025-03-09',
      400,
      'BAD_USER_INPUT',
      'from must not be after to.',
    ],
    ['from in the future', 'P/report?from=2030-01-01', 400, 'BAD_USER_INPUT', 'from must not be after now.'],
    [
      'a period longer than the figures allow',
      'P/report?from=2010-01-01&to=2025-01-01',
      400,
      'BAD_USER_INPUT',
      '260 weeks',
    ],
    [
      'a repeated parameter',
      'P/report?from=2025-03-01&from=2025-03-02',
      400,
      'BAD_USER_INPUT',
      'from must be given once',
    ],
    ['an unknown language', 'P/report?lang=de', 400, 'BAD_USER_INPUT', 'lang must be en or fr.'],
  ])('%s', async (_what, path, status, code, message) => {
    const response = await report(path.replace('P/', `${projectId}/`), { token: agent.token });
    expectError(response, status, code);
    expect(response.json.error.message).toContain(message);
  });

  test('a browser gets the same refusal as a page, with its status', async () => {
    const response = await report(`${projectId}/report?to=2025-13-01`, {
      token: agent.token,
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain('to must be a date like 2025-01-31 (YYYY-MM-DD).');
    expect(response.text).toContain('400 BAD_USER_INPUT');
  });
});

describe('a large project is read in batches', () => {
  test('tickets come REPORT_BATCH_SIZE at a time, with a fixed number of statements per batch', async () => {
    const { services } = api.server;
    const reports = new ReportService(services.database, services.projects, services.stats, services.clock);
    const reader = await services.database.manager.findOneByOrFail(User, { id: Number(agent.id) });
    const opened = await reports.open(reader, Number(projectId), {});
    const sizes: number[] = [];
    const statements = await api.sqlDuring(async () => {
      for await (const batch of reports.tickets(opened, 2)) sizes.push(batch.length);
    });
    expect(sizes).toEqual([2, 1]);
    // Per batch: the tickets, their public jobs, the people named.
    expect(statements).toBe(2 * 3);
  });

  test('over HTTP, a project of several batches is streamed whole, in order', async () => {
    const bigId = await api.createProject(admin, 'Big');
    const { manager } = api.server.services.database;
    const count = 2 * REPORT_BATCH_SIZE + 30;
    const at = new Date('2025-03-20T12:00:00Z');
    await manager.insert(
      Ticket,
      Array.from({ length: count }, (_, n) => ({
        title: `Bulk ${n + 1}`,
        description: 'Imported.',
        status: TicketStatus.OPEN,
        priority: Priority.NORMAL,
        category: TicketCategory.OTHER,
        projectId: Number(bigId),
        authorId: Number(alice.id),
        assigneeId: null,
        createdAt: at,
        updatedAt: at,
        closedAt: null,
      })),
    );
    const bulk = await manager.find(Ticket, { where: { projectId: Number(bigId) }, order: { id: 'ASC' } });
    await manager.insert(
      Job,
      bulk.map((ticket) => ({
        ticketId: ticket.id,
        authorId: Number(alice.id),
        authorRole: Role.USER,
        createdAt: at,
        comment: null,
        internal: false,
        status: TicketStatus.OPEN,
        changes: [{ field: 'status', from: null, to: TicketStatus.OPEN }],
      })),
    );
    const response = await report(`${bigId}/report`, {
      token: agent.token,
      headers: { accept: 'text/html' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('transfer-encoding')).toBe('chunked');
    const listed = [...response.text.matchAll(/<article class="ticket" id="ticket-(\d+)"/g)].map((m) =>
      Number(m[1]),
    );
    expect(listed).toEqual(bulk.map((ticket) => ticket.id));
    expect(response.text).toContain(`<p class="meta">${count} tickets</p>`);
    expect(response.text).toMatch(/End of the report\.<\/p><\/footer>/);
  });
});

test('a median time to close under an hour reads in minutes, not "0 h"', async () => {
  const quick = await api.createProject(admin, 'Quick fixes');
  const id = await api.createTicket(alice, quick, { title: 'Typo on the home page' });
  clock.advance(5 * 60_000);
  await update(agent, id, { status: 'RESOLVED', comment: 'Fixed.' });
  const html = await page(`${quick}/report`);
  expect(html).toContain('<tr><th scope="row">Median time to close</th><td class="n">5 min</td></tr>');
});
