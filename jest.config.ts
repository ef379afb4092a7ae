import type { Config } from 'jest';

// Four projects: fast unit specs beside the code, integration specs that call the HTTP API (on SQLite,
// then the same specs on PostgreSQL), and browser specs that drive the built client in Chromium.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/server/tsconfig.jest.json', diagnostics: false }],
};

const integrationSpecs = ['<rootDir>/server/test/**/*.int.spec.ts'];

/**
 * Specs about the SQLite file itself, which a PostgreSQL database does not have. Specs where only some
 * tests are about the file mark those with describeOnSqlite/testOnSqlite (server/test/support/postgres-project.ts).
 */
const sqliteOnlySpecs = [
  // npm run backup/restore of the SQLite file; PostgreSQL's (pg_dump) are in backup-postgres.pg.spec.ts.
  '<rootDir>/server/test/backup\\.int\\.spec\\.ts$',
  // Upgrades a database made by the first release, which ran on SQLite only.
  '<rootDir>/server/test/migrations\\.int\\.spec\\.ts$',
  // Runs the packed package on its default (SQLite in ./data, DATABASE_URL removed): no test database.
  '<rootDir>/server/test/package\\.int\\.spec\\.ts$',
  // A damaged file, a file that is not SQLite, a read-only data folder holding the file.
  '<rootDir>/server/test/faults/broken-start\\.int\\.spec\\.ts$',
  // SQLite on a full tmpfs (or its max_page_count): a failed COMMIT on the file's connection.
  '<rootDir>/server/test/faults/disk-full\\.int\\.spec\\.ts$',
  // The export's memory bound, measured on a service it seeds itself as a SQLite file (the bench's own).
  '<rootDir>/server/test/export-memory\\.int\\.spec\\.ts$',
  // npm run bench at a small size, on a SQLite file it seeds itself.
  '<rootDir>/server/test/bench\\.int\\.spec\\.ts$',
  // The SQLite file deleted or replaced under the running service.
  '<rootDir>/server/test/faults/file-replaced\\.int\\.spec\\.ts$',
  // The modes of the SQLite file and its -wal and -shm files.
  '<rootDir>/server/test/faults/permissions\\.int\\.spec\\.ts$',
  // After SIGTERM, the main SQLite file alone (WAL checkpointed) holds every ticket.
  '<rootDir>/server/test/faults/sigterm\\.int\\.spec\\.ts$',
];

const config: Config = {
  // npm test runs one test file at a time (--maxWorkers=1: the timing-sensitive specs get the machine's
  // second core for their servers) in a worker process that is replaced once it holds more than this
  // after a file. In one process (--runInBand), every file's module registry accumulated until the heap
  // limit (about 4 GB) ended a CI run with "JavaScript heap out of memory" near its end.
  workerIdleMemoryLimit: '1GB',
  // A test's own time limit, not a speed goal (those are npm run bench's): integration tests hash
  // passwords and start servers, which on a busy 2-core CI machine can take more than jest's 5 s.
  testTimeout: 15_000,
  reporters: ['default', '<rootDir>/server/test/support/summary-reporter.cjs'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: tsJest,
      // The client's pure modules (no Svelte, no DOM) have their unit specs beside them too.
      testMatch: ['<rootDir>/server/src/**/*.spec.ts', '<rootDir>/client/src/**/*.spec.ts'],
      setupFiles: ['reflect-metadata'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: tsJest,
      testMatch: integrationSpecs,
      setupFiles: ['reflect-metadata'],
    },
    {
      // The same specs, each server on a fresh PostgreSQL database: a throw-away cluster started once
      // per run (or the server of TEST_DATABASE_URL). *.pg.spec.ts files run here only.
      displayName: 'integration (postgres)',
      testEnvironment: '<rootDir>/server/test/support/postgres-environment.ts',
      transform: tsJest,
      testMatch: [...integrationSpecs, '<rootDir>/server/test/**/*.pg.spec.ts'],
      testPathIgnorePatterns: ['/node_modules/', ...sqliteOnlySpecs],
      setupFiles: ['reflect-metadata'],
      globalSetup: '<rootDir>/server/test/support/postgres-global-setup.ts',
      globalTeardown: '<rootDir>/server/test/support/postgres-global-teardown.ts',
    },
    {
      displayName: 'browser',
      testEnvironment: 'node',
      transform: tsJest,
      testMatch: ['<rootDir>/client/test/**/*.browser.spec.ts'],
      setupFiles: ['reflect-metadata'],
    },
  ],
};

export default config;
