import type { Page } from 'playwright-core';
import { axeViolations, BLOCKING_IMPACTS } from './support/accessibility';
import { describeWithBrowser, logIn, newPage, screenshots } from './support/browser';
import { api, createProject, createTicket, registerAccount, setRole, type Account } from './support/server';
import { useBrowserSuite } from './support/suite';

const UPDATE = `mutation ($id: ID!, $input: UpdateTicketInput!) { updateTicket(id: $id, input: $input) { id } }`;

interface SavedJob {
  comment: string | null;
  internal: boolean;
  author: { username: string };
  changes: { field: string; from: string | null; to: string | null }[];
}
interface Saved {
  ticket: {
    title: string;
    description: string;
    status: string;
    priority: string;
    assignee: { username: string } | null;
    jobs: SavedJob[];
  };
}

describeWithBrowser('the ticket page as a conversation', () => {
  let admin: Account;
  let agent: Account;
  let bob: Account;
  let reporter: Account;
  let projectId: string;
  let askedId: string;

  // The shared page is the agent's; the reporter gets a page of their own.
  const suite = useBrowserSuite(async (url) => {
    admin = await registerAccount(url, 'root');
    agent = await registerAccount(url, 'ada');
    await setRole(url, admin, agent, 'AGENT');
    bob = await registerAccount(url, 'bob');
    await setRole(url, admin, bob, 'AGENT');
    reporter = await registerAccount(url, 'rita');
    projectId = await createProject(url, admin, 'Website');
    askedId = await createTicket(url, reporter, {
      projectId,
      title: 'Export button does nothing',
      description: 'Clicking **Export** shows nothing.',
    });
    await api(
      url,
      UPDATE,
      { id: askedId, input: { comment: 'Which browser do you use?', status: 'WAITING' } },
      agent.token,
    );
  });

  const saved = (id: string, token = agent.token) =>
    api<Saved>(
      suite.server.url,
      `query ($id: ID!) { ticket(id: $id) { title description status priority assignee { username }
        jobs { comment internal author { username } changes { field from to } } } }`,
      { id },
      token,
    );

  async function reporterPage(): Promise<Page> {
    const { page } = await newPage(suite.browser);
    await logIn(page, suite.server.url, reporter.username, reporter.password);
    return page;
  }

  beforeAll(async () => {
    await logIn(suite.page, suite.server.url, agent.username, agent.password);
  });

  it('the reporter answers the question asked, in two steps, and the ticket goes back to the team', async () => {
    const page = await reporterPage();
    await page.goto(`${suite.server.url}/tickets/${askedId}`);
    const request = page.getByRole('note');
    await request.getByText('The team is waiting for your answer.').waitFor();
    await expect(request.locator('blockquote').textContent()).resolves.toContain('Which browser do you use?');

    // An empty answer is refused beside the field, without a request.
    let sent = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql') && r.postData()?.includes('mutation UpdateTicket')) sent += 1;
    });
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.locator('#comment-error', { hasText: 'Write a comment first.' }).waitFor();
    expect(sent).toBe(0);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('comment');

    await page.getByRole('textbox', { name: 'Your answer' }).fill('Firefox 130, on Linux.');
    await page.getByRole('button', { name: 'Send answer' }).click();
    await page.locator('.timeline .job', { hasText: 'Firefox 130, on Linux.' }).waitFor();
    expect(sent).toBe(1);
    await expect(page.locator('.timeline .job').last().textContent()).resolves.toMatch(
      /rita\s*answered, which sent the ticket back to the team/,
    );
    await expect(page.locator('.ticket-head .badge-status').textContent()).resolves.toBe('Open');
    await expect(page.getByRole('note').count()).resolves.toBe(0);
    expect(await page.locator('#comment').inputValue()).toBe('');
    await page.getByRole('button', { name: 'Comment', exact: true }).waitFor();

    const data = await saved(askedId);
    expect(data.ticket.status).toBe('OPEN');
    expect(data.ticket.jobs.at(-1)).toMatchObject({
      comment: 'Firefox 130, on Linux.',
      changes: [{ field: 'status', from: 'WAITING', to: 'OPEN' }],
    });

    // Staff read the answer on their page.
    await suite.page.goto(`${suite.server.url}/tickets/${askedId}`);
    await suite.page.locator('.timeline .job', { hasText: 'Firefox 130, on Linux.' }).waitFor();
    await page.context().close();
  });

  it('staff choose between a reply and an internal note, which the reporter never sees', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets/${askedId}`);
    const modes = page.getByRole('group', { name: 'Who will see it' });
    const reply = modes.getByRole('radio', { name: 'Reply' });
    const note = modes.getByRole('radio', { name: 'Internal note' });
    expect(await reply.isChecked()).toBe(true);
    await page.getByText('rita, who opened the ticket, will see it.').waitFor();
    await page.getByLabel('Reply to rita').waitFor();

    // The keyboard moves between the two modes, as in any radio group.
    await reply.focus();
    await page.keyboard.press('ArrowRight');
    expect(await note.isChecked()).toBe(true);
    await page.getByText('Only agents and admins will see this note.').waitFor();
    await page.getByLabel('Internal note (staff only)').fill('Legacy plan: check with finance.');
    await expect(page.getByRole('button', { name: 'Send and resolve' }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: 'Send and wait for the reporter' }).count()).resolves.toBe(
      0,
    );
    await page.getByRole('button', { name: 'Add internal note' }).click();
    const noteJob = page.locator('.timeline .job.internal', { hasText: 'Legacy plan' });
    await noteJob.waitFor();
    await expect(noteJob.textContent()).resolves.toMatch(
      /ada\s*Agent\s*left an internal note.*Internal note · staff only/s,
    );
    // The keyboard stays on the button, the mode is kept, the box cleared.
    expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Add internal note');
    expect(await note.isChecked()).toBe(true);
    expect(await page.locator('#comment').inputValue()).toBe('');
    await screenshots(page, 'ticket-conversation-note');

    await reply.check();
    await page.getByLabel('Reply to rita').fill('Fixed in release 1.2.');
    await page.getByRole('button', { name: 'Send reply', exact: true }).click();
    await page.locator('.timeline .job:not(.internal)', { hasText: 'Fixed in release 1.2.' }).waitFor();

    const data = await saved(askedId);
    expect(data.ticket.jobs.slice(-2).map((job) => [job.comment, job.internal])).toEqual([
      ['Legacy plan: check with finance.', true],
      ['Fixed in release 1.2.', false],
    ]);

    const reporterView = await reporterPage();
    await reporterView.goto(`${server.url}/tickets/${askedId}`);
    await reporterView.locator('.timeline .job', { hasText: 'Fixed in release 1.2.' }).waitFor();
    const body = (await reporterView.locator('main').textContent()) ?? '';
    expect(body).not.toContain('Legacy plan');
    expect(body).not.toContain('Internal note');
    expect(await reporterView.getByRole('radio').count()).toBe(0);
    await reporterView.context().close();
  });

  it('"Send and resolve" needs a text, then resolves with it in one job; the sidebar says when it was resolved', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Typo on the pricing page',
      description: 'It says “pirce”.',
    });
    await page.goto(`${server.url}/tickets/${id}`);
    await page.getByRole('radio', { name: 'Reply' }).check();
    await page.getByRole('button', { name: 'Send and resolve' }).click();
    await page.locator('#comment-error', { hasText: 'Say how it was solved' }).waitFor();
    await page.getByLabel('Reply to rita').fill('Corrected the typo.');
    await page.getByRole('button', { name: 'Send and resolve' }).click();
    await page.locator('.ticket-head .badge-status', { hasText: 'Resolved' }).waitFor();
    // A resolved ticket is not said to be closed.
    const dates = page.getByRole('complementary', { name: 'Ticket details' }).locator('dl.dates dt');
    await expect(dates.allTextContents()).resolves.toEqual(['Author', 'Created', 'Last updated', 'Resolved']);
    await expect(page.locator('.timeline .job').last().textContent()).resolves.toMatch(
      /changed the status from Open to Resolved.*Corrected the typo\./s,
    );
    const data = await saved(id);
    expect(data.ticket.jobs).toHaveLength(2);
    expect(data.ticket.jobs[1]).toMatchObject({
      comment: 'Corrected the typo.',
      changes: [{ field: 'status', from: 'OPEN', to: 'RESOLVED' }],
    });
  });

  it('asks the reporter a question in one step: the reply and the status WAITING in one job', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Cannot upload my avatar',
      description: 'The upload spins forever.',
    });
    await page.goto(`${server.url}/tickets/${id}`);
    const actions = page.locator('.comment-form .form-actions');
    // The comment box is its own chunk: its buttons are read once it is there.
    await actions.getByRole('button', { name: 'Send and resolve' }).waitFor();
    await expect(actions.getByRole('button').allTextContents()).resolves.toEqual([
      'Send reply',
      'Send and wait for the reporter',
      'Send and resolve',
    ]);
    // No button shares the name of the mode it is in.
    await expect(page.getByRole('button', { name: 'Reply', exact: true }).count()).resolves.toBe(0);

    // A question needs its text: refused beside the field, without a request.
    let sent = 0;
    const onRequest = (r: { url(): string; postData(): string | null }) => {
      if (r.url().endsWith('/graphql') && r.postData()?.includes('mutation UpdateTicket')) sent += 1;
    };
    page.on('request', onRequest);
    await page.getByRole('button', { name: 'Send and wait for the reporter' }).click();
    await page.locator('#comment-error', { hasText: 'Write the question rita should answer.' }).waitFor();
    expect(sent).toBe(0);

    // At 390 px the three buttons wrap inside the form, each on one line, none cut.
    await page.setViewportSize({ width: 390, height: 900 });
    const layout = await actions.evaluate((box) => ({
      right: box.getBoundingClientRect().right,
      buttons: [...box.querySelectorAll('button')].map((b) => ({
        right: b.getBoundingClientRect().right,
        height: b.getBoundingClientRect().height,
        overflows: b.scrollWidth > b.clientWidth,
      })),
      pageOverflows: document.documentElement.scrollWidth > window.innerWidth,
    }));
    expect(layout.pageOverflows).toBe(false);
    for (const button of layout.buttons) {
      expect(button.right).toBeLessThanOrEqual(layout.right + 0.5);
      expect(button.overflows).toBe(false);
      expect(button.height).toBeLessThan(60);
    }
    await screenshots(page, 'ticket-reply-buttons-390');
    await page.setViewportSize({ width: 1280, height: 900 });

    await page.getByLabel('Reply to rita').fill('Which file type is the picture?');
    await page.getByRole('button', { name: 'Send and wait for the reporter' }).click();
    await page.locator('.ticket-head .badge-status', { hasText: 'Waiting for reporter' }).waitFor();
    await expect(page.locator('.timeline .job').last().textContent()).resolves.toMatch(
      /changed the status from Open to Waiting for reporter.*Which file type is the picture\?/s,
    );
    expect(sent).toBe(1);
    page.off('request', onRequest);
    // Already waiting: the reply keeps it so, the second button goes; the keyboard is back in the text.
    await expect(page.getByRole('button', { name: 'Send and wait for the reporter' }).count()).resolves.toBe(
      0,
    );
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('comment');

    const data = await saved(id);
    expect(data.ticket.status).toBe('WAITING');
    expect(data.ticket.jobs).toHaveLength(2);
    expect(data.ticket.jobs[1]).toMatchObject({
      comment: 'Which file type is the picture?',
      internal: false,
      changes: [{ field: 'status', from: 'OPEN', to: 'WAITING' }],
    });

    // The reporter is asked, with the question.
    const reporterView = await reporterPage();
    await reporterView.goto(`${server.url}/tickets/${id}`);
    const request = reporterView.getByRole('note');
    await request.getByText('The team is waiting for your answer.').waitFor();
    await expect(request.locator('blockquote').textContent()).resolves.toContain(
      'Which file type is the picture?',
    );
    await reporterView.context().close();
  });

  it('saves each property change at once as one job, and Undo sends it back', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Slow search',
      description: 'Search takes 10 s.',
    });
    await page.goto(`${server.url}/tickets/${id}`);
    const sidebar = page.getByRole('complementary', { name: 'Ticket details' });

    await sidebar.getByLabel('Status').selectOption('IN_PROGRESS');
    const toast = page.getByRole('status').filter({ hasText: 'Status changed to In progress.' });
    await toast.waitFor();
    await page
      .locator('.timeline .job', { hasText: 'changed the status from Open to In progress' })
      .waitFor();
    expect((await saved(id)).ticket.jobs).toHaveLength(2);

    await sidebar.getByLabel('Priority').selectOption('HIGH');
    await page.getByRole('status').filter({ hasText: 'Priority set to High.' }).waitFor();
    await page.locator('.timeline .job', { hasText: 'set the priority to High' }).waitFor();

    await sidebar.getByRole('button', { name: 'Assign yourself' }).click();
    await page.getByRole('status').filter({ hasText: 'Assigned to ada.' }).waitFor();
    await page.locator('.timeline .job', { hasText: 'ada Agent self-assigned this' }).waitFor();
    expect(await sidebar.getByLabel('Assignee').inputValue()).toBe(agent.id);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('side-assigneeId');

    let data = await saved(id);
    expect(data.ticket).toMatchObject({
      status: 'IN_PROGRESS',
      priority: 'HIGH',
      assignee: { username: 'ada' },
    });
    expect(data.ticket.jobs.slice(1).map((job) => job.changes)).toEqual([
      [{ field: 'status', from: 'OPEN', to: 'IN_PROGRESS' }],
      [{ field: 'priority', from: 'NORMAL', to: 'HIGH' }],
      [{ field: 'assignee', from: null, to: 'ada' }],
    ]);

    // Undo, from the keyboard: the assignment is sent back, and the focus returns to its select.
    await page.getByRole('button', { name: 'Undo' }).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('status').filter({ hasText: 'Change undone.' }).waitFor();
    await page.locator('.timeline .job', { hasText: 'unassigned ada' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('side-assigneeId');
    data = await saved(id);
    expect(data.ticket.assignee).toBeNull();
    expect(data.ticket.jobs).toHaveLength(5);
    expect(await sidebar.getByLabel('Assignee').inputValue()).toBe('');
    await screenshots(page, 'ticket-conversation-agent');
  });

  it('puts a refused change back and says why beside the control', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Logo is blurry',
      description: 'On retina screens.',
    });
    await page.goto(`${server.url}/tickets/${id}`);
    const sidebar = page.getByRole('complementary', { name: 'Ticket details' });
    const assignee = sidebar.getByLabel('Assignee');
    await assignee.locator('option', { hasText: 'bob' }).waitFor({ state: 'attached' });
    // bob stops being an agent after the page listed him: assigning him is refused.
    await setRole(server.url, admin, bob, 'USER');
    await assignee.selectOption({ label: 'bob' });
    await sidebar.locator('#side-assigneeId-error').waitFor();
    expect(await assignee.inputValue()).toBe('');
    expect(await assignee.getAttribute('aria-invalid')).toBe('true');
    expect((await saved(id)).ticket.jobs).toHaveLength(1);
  });

  it('edits the title and the description in place, with a preview of the markdown', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Old title',
      description: 'Old text.',
    });
    await page.goto(`${server.url}/tickets/${id}`);

    // Each edit button says what it edits, in words anyone sees.
    await expect(page.getByRole('button', { name: 'Edit', exact: true }).count()).resolves.toBe(0);
    await expect(page.locator('.ticket-badges button').textContent()).resolves.toBe('Edit title');
    await expect(page.locator('.description-head button').textContent()).resolves.toBe('Edit description');
    await page.getByRole('button', { name: 'Edit title' }).click();
    const titleInput = page.getByLabel('Title', { exact: true });
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('title-input');
    await titleInput.fill('Not this one');
    await page.keyboard.press('Escape');
    await page.getByRole('heading', { level: 1, name: /Old title/ }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Edit title');

    await page.getByRole('button', { name: 'Edit title' }).click();
    await titleInput.fill('Checkout fails with two coupons');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { level: 1, name: /Checkout fails with two coupons/ }).waitFor();
    await page
      .locator('.timeline .job', {
        hasText: 'changed the title from Old title to Checkout fails with two coupons',
      })
      .waitFor();

    await page.getByRole('button', { name: 'Edit description' }).click();
    const editor = page.locator('#description-input');
    expect(await editor.inputValue()).toBe('Old text.');
    await editor.fill('Steps:\n\n1. add **two** coupons\n2. pay');
    const descriptionForm = page.locator('.description-form');
    await descriptionForm.getByRole('tab', { name: 'Preview' }).click();
    const preview = descriptionForm.getByRole('tabpanel', { name: 'Preview' });
    await preview.locator('strong', { hasText: 'two' }).waitFor();
    expect(await preview.locator('li').allTextContents()).toEqual(['add two coupons', 'pay']);
    await descriptionForm.getByRole('tab', { name: 'Write' }).click();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('description-input-tab-write');
    await descriptionForm.getByRole('button', { name: 'Save' }).click();
    await page.locator('.ticket-description strong', { hasText: 'two' }).waitFor();
    await page.locator('.timeline .job', { hasText: 'edited the description' }).waitFor();
    const data = await saved(id);
    expect(data.ticket).toMatchObject({
      title: 'Checkout fails with two coupons',
      description: 'Steps:\n\n1. add **two** coupons\n2. pay',
    });
  });

  // Needs App.svelte to show pageTitle (lib/title.svelte.ts), wired by the page-titles work.
  it('names the browser tab after the ticket', async () => {
    const { page, server } = suite;
    await page.goto(`${server.url}/tickets/${askedId}`);
    await page.getByRole('heading', { level: 1, name: /Export button does nothing/ }).waitFor();
    await page.waitForFunction(() => document.title.includes('#'));
    expect(await page.evaluate(() => document.title)).toBe(
      `#${askedId} Export button does nothing · Simple Ticketing`,
    );
  });

  it('says "Nothing to preview" for an empty text, and keeps hostile markdown inert', async () => {
    const { page, problems, server } = suite;
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Hostile text',
      description: 'Plain.',
    });
    await page.goto(`${server.url}/tickets/${id}`);
    await page.getByRole('tab', { name: 'Preview' }).click();
    await page.getByRole('tabpanel', { name: 'Preview' }).getByText('Nothing to preview').waitFor();
    await page.getByRole('tab', { name: 'Write' }).click();
    const hostile =
      '<img src=x onerror="window.__xss=1;alert(1)"> [click](javascript:alert(2)) <script>window.__xss=2</script> [site](https://example.com/a)';
    await page.locator('#comment').fill(hostile);
    await page.getByRole('button', { name: 'Send reply', exact: true }).click();
    const job = page.locator('.timeline .job', { hasText: 'site' });
    await job.waitFor();
    const link = job.getByRole('link', { name: 'site' });
    expect(await link.getAttribute('rel')).toContain('nofollow');
    expect(await job.locator('img, script').count()).toBe(0);
    expect(await job.locator('a[href^="javascript"]').count()).toBe(0);
    await page.waitForTimeout(200);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(problems.dialogs).toEqual([]);
  });

  it('sends files with a comment and lists them under it', async () => {
    const { page, server } = suite;
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Broken layout',
      description: 'See the screenshot.',
    });
    await page.goto(`${server.url}/tickets/${id}`);
    const png = Buffer.from(
      'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
      'base64',
    );
    await page
      .locator('.comment-form .attachment-picker input[type="file"]')
      .setInputFiles({ name: 'layout.png', mimeType: 'image/png', buffer: png });
    await page.locator('.comment-form').getByText('Ready, sent with the text').waitFor();
    // Files alone make a reply: the text is not required when something is attached.
    await page.getByRole('button', { name: 'Send reply', exact: true }).click();
    const job = page.locator('.timeline .job').last();
    await job.getByRole('img', { name: 'layout.png' }).waitFor();
    await expect(job.textContent()).resolves.toContain('added files');
    // The box is ready for the next comment: no pending file left in it.
    await page.locator('.comment-form .attachment-items li').first().waitFor({ state: 'detached' });
    const data = await api<{ ticket: { jobs: { attachments: { filename: string; isImage: boolean }[] }[] } }>(
      server.url,
      'query ($id: ID!) { ticket(id: $id) { jobs { attachments { filename isImage } } } }',
      { id },
      reporter.token,
    );
    expect(data.ticket.jobs.map((j) => j.attachments)).toEqual([
      [],
      [{ filename: 'layout.png', isImage: true }],
    ]);
  });

  it('the reporter closes with a comment and reopens; no staff controls', async () => {
    const page = await reporterPage();
    const id = await createTicket(suite.server.url, reporter, {
      projectId,
      title: 'Wrong invoice',
      description: 'Total is off.',
    });
    await page.goto(`${suite.server.url}/tickets/${id}`);
    await page.getByRole('button', { name: 'Close ticket' }).waitFor();
    await page.getByLabel('Comment', { exact: true }).fill('Found it: my mistake.');
    await page.getByRole('button', { name: 'Close with comment' }).click();
    await page.getByRole('button', { name: 'Reopen ticket' }).waitFor();
    await page
      .locator('.timeline .job', { hasText: /changed the status from Open to Closed.*my mistake/s })
      .waitFor();
    expect(await page.locator('#side-status, #side-priority, #side-assigneeId').count()).toBe(0);
    await page.getByRole('button', { name: 'Reopen ticket' }).click();
    await page.getByRole('button', { name: 'Close ticket' }).waitFor();
    const data = await saved(id, reporter.token);
    expect(data.ticket.status).toBe('OPEN');
    expect(data.ticket.jobs.slice(1).map((job) => [job.comment, job.changes[0]?.to])).toEqual([
      ['Found it: my mistake.', 'CLOSED'],
      [null, 'OPEN'],
    ]);
    await page.context().close();
  });

  it('shows each person with the role they had when they acted', async () => {
    const { server } = suite;
    const carl = await registerAccount(server.url, 'carl');
    await setRole(server.url, admin, carl, 'AGENT');
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Password reset mail never arrives',
      description: 'Checked the spam folder too.',
    });
    await api(
      server.url,
      UPDATE,
      { id, input: { comment: 'Which address do you use?', status: 'WAITING' } },
      carl.token,
    );
    // carl leaves the team: his question stays a question from an agent.
    await setRole(server.url, admin, carl, 'USER');

    const page = await reporterPage();
    await page.goto(`${server.url}/tickets/${id}`);
    const asked = page.locator('.timeline .job', { hasText: 'Which address do you use?' });
    await asked.waitFor();
    await expect(asked.locator('.badge-role').textContent()).resolves.toBe('Agent');
    const request = page.getByRole('note');
    await expect(request.textContent()).resolves.toContain('carl asked:');
    await page.getByRole('textbox', { name: 'Your answer' }).fill('rita@example.com');
    await page.getByRole('button', { name: 'Send answer' }).click();
    const answer = page.locator('.timeline .job', { hasText: 'rita@example.com' });
    await answer.waitFor();
    expect(await answer.locator('.badge-role').count()).toBe(0);
    const roles = await api<{ ticket: { jobs: { authorRole: string }[] } }>(
      server.url,
      'query ($id: ID!) { ticket(id: $id) { jobs { authorRole } } }',
      { id },
      agent.token,
    );
    expect(roles.ticket.jobs.map((job) => job.authorRole)).toEqual(['USER', 'AGENT', 'USER']);
    await page.context().close();
  });

  it('speaks French to a French agent: modes, audience, history and an empty comment', async () => {
    const { browser, server } = suite;
    const claire = await registerAccount(server.url, 'claire');
    await setRole(server.url, admin, claire, 'AGENT');
    await api(server.url, 'mutation { updateMe(input: { locale: FR }) { id } }', {}, claire.token);
    const { page, problems } = await newPage(browser, 'fr-FR');
    await logIn(page, server.url, 'claire', claire.password);
    await page.goto(`${server.url}/tickets/${askedId}`);
    await page
      .locator('.timeline .job', { hasText: 'a changé le statut d’Ouvert à En attente de l’auteur' })
      .waitFor();
    const modes = page.getByRole('group', { name: 'Qui le verra' });
    await modes.getByRole('radio', { name: 'Note interne' }).check();
    await page.getByText('Seuls les agents et les administrateurs verront cette note.').waitFor();
    await page.getByRole('button', { name: 'Ajouter la note interne' }).click();
    await page.locator('#comment-error', { hasText: 'Écrivez d’abord un commentaire.' }).waitFor();
    await modes.getByRole('radio', { name: 'Réponse' }).check();
    await page.getByText('Markdown accepté').waitFor();

    // Elided before a vowel or a mute h, not before a consonant; the date of a resolution says so.
    const id = await createTicket(server.url, reporter, {
      projectId,
      title: 'Erreur à l’export',
      description: 'Le fichier est vide.',
    });
    const change = (input: Record<string, unknown>) => api(server.url, UPDATE, { id, input }, admin.token);
    await change({ assigneeId: agent.id });
    await change({ assigneeId: claire.id });
    await change({ title: 'Hors ligne' });
    await change({ title: 'Export vide' });
    await page.goto(`${server.url}/tickets/${id}`);
    await page.getByRole('button', { name: 'Envoyer et résoudre' }).waitFor();
    await expect(
      page.locator('.comment-form .form-actions').getByRole('button').allTextContents(),
    ).resolves.toEqual(['Envoyer la réponse', 'Envoyer et attendre l’auteur', 'Envoyer et résoudre']);
    await page.getByLabel('Répondre à rita').fill('Corrigé.');
    await page.getByRole('button', { name: 'Envoyer et résoudre' }).click();
    const jobs = page.locator('.timeline .job');
    await jobs.last().getByText('Corrigé.').waitFor();
    const said = (await jobs.allTextContents()).join('\n').replace(/\s+/g, ' ');
    expect(said).toContain('a réassigné le ticket d’ada à claire');
    expect(said).toContain('a changé le titre d’Erreur à l’export en Hors ligne');
    expect(said).toContain('a changé le titre de Hors ligne en Export vide');
    expect(said).toContain('a changé le statut d’Ouvert à Résolu');
    expect(said).not.toMatch(/\bde [AEIOUaeiouÉé]/);
    await expect(page.getByRole('complementary').locator('dl.dates dt').last().textContent()).resolves.toBe(
      'Résolu le',
    );
    expect(problems.errors).toEqual([]);
    await page.context().close();
  });

  it('has no blocking accessibility violation, for staff and for the reporter, at 1280 and 390 px', async () => {
    const reporterView = await reporterPage();
    for (const page of [suite.page, reporterView]) {
      await page.goto(`${suite.server.url}/tickets/${askedId}`);
      await page.locator('.timeline .job').first().waitFor();
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        const blocking = (await axeViolations(page)).filter((v) => BLOCKING_IMPACTS.includes(v.impact ?? ''));
        expect(blocking).toEqual([]);
      }
      await page.setViewportSize({ width: 1280, height: 900 });
    }
    await screenshots(reporterView, 'ticket-conversation-reporter');
    await reporterView.context().close();
  });
});
