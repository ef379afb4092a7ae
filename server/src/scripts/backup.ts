import 'reflect-metadata';
import { runBackupCommand } from '../backups/backup.command';

runBackupCommand(process.argv.slice(2), process.env, { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // An unforeseen failure: one line for the operator, not a stack trace.
    console.error(`The backup failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
