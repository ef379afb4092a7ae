/* eslint-disable @typescript-eslint/no-require-imports -- a CommonJS module, loaded by jest as a reporter */
const { randomUUID } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
/* eslint-enable @typescript-eslint/no-require-imports */

/** Where specs write why they skip: read it with `process.env[SKIP_NOTES_ENV]`, one reason a line. */
const SKIP_NOTES_ENV = 'SIMPLE_TICKETING_SKIP_NOTES';

// Prints why tests were skipped, then the run's totals as one plain closing line
// ("N passed, N failed, N skipped"), which CI reads. Jest shows no console output of a suite whose
// tests are all skipped, so a spec that skips appends its reason to the file named in the
// environment (set here, before the test workers start, so they inherit it); each reason is
// printed once at the end of the run.
class SummaryReporter {
  constructor() {
    this.notesFile = path.join(os.tmpdir(), `simple-ticketing-skips-${process.pid}-${randomUUID()}.txt`);
    process.env[SKIP_NOTES_ENV] = this.notesFile;
  }

  onRunComplete(_contexts, results) {
    for (const reason of this.takeSkipReasons()) process.stdout.write(`\nSKIPPED: ${reason}`);
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed, ${results.numPendingTests} skipped`;
    process.stdout.write(`\n${line}\n`);
  }

  takeSkipReasons() {
    if (!fs.existsSync(this.notesFile)) return []; // no spec skipped
    const text = fs.readFileSync(this.notesFile, 'utf8');
    fs.rmSync(this.notesFile, { force: true });
    return [...new Set(text.split('\n').filter((reason) => reason.trim() !== ''))];
  }
}

module.exports = SummaryReporter;
module.exports.SKIP_NOTES_ENV = SKIP_NOTES_ENV;
