import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * `npm run bench` at a small size (2,000 tickets, one run of one second per scenario, no overload):
 * every scenario's answers pass their checks, the bare baseline answers what the service answers, and
 * the JSON is written. No timing is asserted here: the goals are the bench's to report, not a test's.
 * Runs the build (`npm test` builds first), or the one in BENCH_BUILD (a tsc --outDir of server/src).
 */
const root = path.resolve(__dirname, '..', '..');
const run = path.join(process.env.BENCH_BUILD ?? path.join(root, 'server', 'dist'), 'bench', 'run.js');

function newestSource(entry: string): number {
  const stat = fs.statSync(entry);
  if (!stat.isDirectory()) return entry.endsWith('.spec.ts') ? 0 : stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(entry).map((name) => newestSource(path.join(entry, name))));
}

describe('npm run bench', () => {
  test('checks every answer, compares the baseline with the service and writes its JSON', () => {
    const built = fs.statSync(run, { throwIfNoEntry: false });
    if (!built || built.mtimeMs < newestSource(path.join(root, 'server', 'src', 'bench'))) {
      throw new Error(`${run} is missing or older than server/src/bench: run npm run build`);
    }
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-spec-')), 'results.json');
    const result = spawnSync(
      process.execPath,
      [
        run,
        '--tickets',
        '2000',
        '--duration',
        '1',
        '--runs',
        '1',
        '--only',
        'sql,me,page,ticket,search,stats,user-page,create',
        '--out',
        out,
      ],
      { encoding: 'utf8', timeout: 170_000 },
    );
    expect(`${result.stderr}`).not.toContain('ANSWER CHECK FAILED');
    expect(result.status).toBe(0);
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as {
      failures: string[];
      seed: { tickets: number; jobs: number };
      scenarios: {
        name: string;
        runs: { requests: number; checked: number; statuses: Record<string, number> }[];
        baseline?: { runs: { requests: number }[] };
        ratio: number | null;
        goals: { verdict: string }[];
      }[];
    };
    expect(report.failures).toEqual([]);
    expect(report.seed.tickets).toBe(2000);
    expect(report.scenarios.map((scenario) => scenario.name)).toEqual([
      'me',
      'page',
      'ticket',
      expect.stringMatching(/^search common /),
      expect.stringMatching(/^search middle /),
      expect.stringMatching(/^search rare /),
      expect.stringMatching(/^search common /),
      expect.stringMatching(/^search middle /),
      expect.stringMatching(/^search rare /),
      'stats overall',
      'stats project',
      'USER first page',
      'createTicket',
    ]);
    for (const scenario of report.scenarios) {
      const [first] = scenario.runs;
      expect([scenario.name, first.requests > 0, first.checked > 0]).toEqual([scenario.name, true, true]);
      // 200s, and perhaps refusals (503 with Retry-After) from a service shedding load on a busy machine.
      expect(first.statuses['200']).toBeGreaterThan(0);
      expect(Object.keys(first.statuses).filter((status) => status !== '200' && status !== '503')).toEqual(
        [],
      );
      for (const goal of scenario.goals) expect(['MET', 'NOT MET']).toContain(goal.verdict);
    }
    for (const name of ['me', 'page', 'ticket']) {
      const scenario = report.scenarios.find((candidate) => candidate.name === name)!;
      expect(scenario.baseline!.runs[0].requests).toBeGreaterThan(0);
      expect(scenario.ratio).toBeGreaterThan(0);
    }
  }, 180_000);
});
