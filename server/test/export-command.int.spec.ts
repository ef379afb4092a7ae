import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { type ExitCode, runExportCommand } from '../src/exports/export.command';
import { testOnSqlite } from './support/postgres-project';
import { type TestUser, TestApi } from './support/test-server';

/* `npm run export` against the database of a running service: the same files as GET /api/export. */

let api: TestApi;
let admin: TestUser;
let project: string;

interface Run {
  code: ExitCode;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], env: Record<string, string> = {}): Promise<Run> {
  const stdout = new PassThrough();
  const chunks: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
  let stderr = '';
  const code = await runExportCommand(
    argv,
    { ...api.databaseEnv, LOG_LEVEL: 'silent', ...env },
    { stdout, stderr: { write: (text: string) => ((stderr += text), true) } as never },
  );
  return { code, stdout: Buffer.concat(chunks).toString('utf8'), stderr };
}

beforeAll(async () => {
  api = await TestApi.start();
  admin = (await api.registerAdminAndAgent()).admin;
  project = await api.createProject(admin, 'Lighthouse');
  await api.createTicket(admin, project, { title: '=cmd|calc', description: 'Line one\nline "two"' });
});

afterAll(async () => {
  await api.stop();
});

test('JSON on standard output, the same document as GET /api/export; the summary on standard error', async () => {
  const result = await run(['--project', project, '--format', 'json']);
  expect(result.code).toBe(0);
  const http = await api.http(`/api/export?project=${project}`, {
    headers: { authorization: `Bearer ${admin.token}` },
  });
  const fromCommand = JSON.parse(result.stdout);
  expect({ ...fromCommand, exportedAt: 'x' }).toEqual({ ...http.json, exportedAt: 'x' });
  expect(result.stderr).toMatch(
    new RegExp(
      `^Exported simple-ticketing-project-${project}-\\d{4}-\\d\\d-\\d\\d\\.json \\(0\\.0 MB\\) in \\d+\\.\\d s\\.\\n$`,
    ),
  );
});

test('CSV of jobs into --output: written under a temporary name, then renamed', async () => {
  const output = path.join(api.dataDir, 'jobs.csv');
  const result = await run(['--format', 'csv', '--part', 'jobs', '--output', output]);
  expect(result).toMatchObject({ code: 0, stdout: '' });
  const text = fs.readFileSync(output, 'utf8');
  expect(text.startsWith('\uFEFFticket,job,author,created,status,internal,comment,changes\r\n')).toBe(true);
  expect(parse(text, { bom: true })).toHaveLength(2);
  expect(fs.existsSync(`${output}.partial`)).toBe(false);
  // Emails and internal notes: readable by its owner only.
  expect(fs.statSync(output).mode & 0o777).toBe(0o600);
});

test('everything, by default as JSON', async () => {
  const result = await run([]);
  expect(result.code).toBe(0);
  expect(JSON.parse(result.stdout)).toMatchObject({
    scope: { projectId: null },
    tickets: [{ title: '=cmd|calc' }],
  });
});

test.each([
  [['--format', 'xml'], 'format must be json or csv.'],
  [['--format', 'json', '--part', 'jobs'], 'part applies to the CSV export only (format=csv).'],
  [['--project', 'three'], 'project must be a positive whole number, like "42".'],
  [['--project'], "Option '--project <value>' argument missing"],
  [['--projet', '3'], "Unknown option '--projet'"],
  [['lighthouse'], 'Unexpected argument'],
  [['--project', '999'], 'Project 999 not found.'],
])(
  '%j: exit code 2, the reason and the usage on standard error, nothing on standard output',
  async (argv, reason) => {
    const result = await run(argv);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain(reason);
    expect(result.stderr).toContain('Usage: npm run -s export --');
  },
);

test('--help: the usage on standard output, exit code 0', async () => {
  expect(await run(['--help'])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Usage: /) });
});

test("npm's banner would open the file: refused with the way round it, unless npm runs silent", async () => {
  const banner = await run(['--format', 'json'], { npm_lifecycle_event: 'export' });
  expect(banner.code).toBe(2);
  expect(banner.stderr).toContain('run npm run -s export (or give --output FILE)');
  const silent = await run(['--format', 'json'], {
    npm_lifecycle_event: 'export',
    npm_config_loglevel: 'silent',
  });
  expect(silent.code).toBe(0);
});

// The SQLite file DATA_DIR names (on PostgreSQL, DATABASE_URL names the database).
testOnSqlite('no database where DATA_DIR points: exit code 1, and no database is created', async () => {
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-export-none-'));
  try {
    const result = await run([], { DATA_DIR: empty });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`No database at ${path.join(empty, 'ticketing.sqlite')}`);
    expect(fs.readdirSync(empty)).toEqual([]);
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});
