import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError } from '../config';
import { loadOrCreateSecret } from './token-secret';

let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ticketing-secret-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const file = () => path.join(dataDir, 'jwt-secret');

test('JWT_SECRET wins; nothing is written', () => {
  expect(loadOrCreateSecret(dataDir, 'x'.repeat(40))).toBe('x'.repeat(40));
  expect(fs.existsSync(file())).toBe(false);
});

test('generated once, 0600, no temporary file left, and read back the same', () => {
  const first = loadOrCreateSecret(dataDir, '');
  expect(first.length).toBeGreaterThanOrEqual(32);
  expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
  expect(fs.readdirSync(dataDir)).toEqual(['jwt-secret']);
  expect(loadOrCreateSecret(dataDir, '')).toBe(first);
});

test('an existing secret readable by others is tightened to 0600', () => {
  fs.writeFileSync(file(), `${'s'.repeat(64)}\n`, { mode: 0o644 });
  fs.chmodSync(file(), 0o644);
  loadOrCreateSecret(dataDir, '');
  expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
});

test.each([
  ['empty (lost in a crash)', ''],
  ['too short', 'abc\n'],
])('a secret file that is %s stops the start with what to do', (_, content) => {
  fs.writeFileSync(file(), content, { mode: 0o600 });
  expect(() => loadOrCreateSecret(dataDir, '')).toThrow(ConfigError);
  expect(() => loadOrCreateSecret(dataDir, '')).toThrow(/Delete it to have a new one generated/);
});
