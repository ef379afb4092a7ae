import 'reflect-metadata';
import { runRestoreCommand } from '../backups/restore.command';

runRestoreCommand(process.argv.slice(2), process.env, {
  stdout: process.stdout,
  stderr: process.stderr,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // An unforeseen failure: one line for the operator, not a stack trace.
    console.error(`The restore failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
