import type { Config } from 'jest';

// Three projects: fast unit specs beside the code, integration specs that call the HTTP API,
// and browser specs that drive the built client in Chromium.
const tsJest = {
  '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/server/tsconfig.jest.json', diagnostics: false }],
};

const config: Config = {
  reporters: ['default', '<rootDir>/server/test/support/summary-reporter.cjs'],
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform: tsJest,
      testMatch: ['<rootDir>/server/src/**/*.spec.ts'],
      setupFiles: ['reflect-metadata'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform: tsJest,
      testMatch: ['<rootDir>/server/test/**/*.int.spec.ts'],
      setupFiles: ['reflect-metadata'],
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
