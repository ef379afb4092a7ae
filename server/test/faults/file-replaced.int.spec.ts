import fs from 'node:fs';
import path from 'node:path';
import { TestApi, type TestUser } from '../support/test-server';

/**
 * The database file deleted or replaced while the service runs (an operator restoring a backup in
 * place, a clean-up script): the open connection still writes to the old file, which nobody will open
 * again. Such writes must be refused, not acknowledged and lost, and /healthz must say why.
 */
let api: TestApi;
let admin: TestUser;
let projectId: string;
let file: string;

beforeAll(async () => {
  api = await TestApi.start();
  admin = await api.register('admin');
  projectId = await api.createProject(admin);
  file = path.join(api.dataDir, 'ticketing.sqlite');
});
afterAll(() => api.stop());

const createTicket = (title: string) =>
  api.gql(
    `mutation ($input: CreateTicketInput!) { createTicket(input: $input) { id } }`,
    { input: { projectId, title, description: 'Written while the file moves.' } },
    { token: admin.token },
  );
const waitForHealthProbe = () => new Promise((resolve) => setTimeout(resolve, 1100));

test('a deleted database file: writes are refused cleanly and /healthz says why; putting it back heals', async () => {
  fs.renameSync(file, `${file}.moved`);
  try {
    const refused = await createTicket('Never acknowledged');
    expect(refused.errors?.[0].extensions).toEqual({
      code: 'INTERNAL_SERVER_ERROR',
      reason: 'STORAGE_UNAVAILABLE',
    });
    await waitForHealthProbe();
    const health = await api.http('/healthz');
    expect(health.status).toBe(503);
    expect(health.json.detail).toMatch(/deleted or replaced/);
  } finally {
    fs.renameSync(`${file}.moved`, file);
  }
  expect((await createTicket('Saved once the file is back')).errors).toBeUndefined();
  await waitForHealthProbe();
  expect((await api.http('/healthz')).status).toBe(200);
});

test('a database file replaced by a copy (a restore in place) is not written to behind its back', async () => {
  fs.copyFileSync(file, `${file}.copy`);
  fs.renameSync(`${file}.copy`, file);
  const refused = await createTicket('Would land in the old file');
  expect(refused.errors?.[0].extensions?.reason).toBe('STORAGE_UNAVAILABLE');
});
