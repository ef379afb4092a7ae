import { REGISTER } from './support/operations';
import { TestApi, errorCodes } from './support/test-server';

/** Two instances of the service on one database (two servers on one data folder) count every limit once. */
let first: TestApi;
let second: TestApi;

beforeAll(async () => {
  first = await TestApi.start({ registrationsPerHour: 3 });
  second = await TestApi.start({ registrationsPerHour: 3, dataDir: first.dataDir });
});

afterAll(async () => {
  // The second first, without removing the folder the first still has open.
  await second?.server.close();
  await first?.stop();
});

const register = (api: TestApi, name: string) =>
  api.gql(REGISTER, {
    input: { username: name, email: `${name}@example.com`, password: `passphrase of ${name}` },
  });

test('registrations per address: 3 an hour across both instances', async () => {
  expect((await register(first, 'one')).errors).toBeUndefined();
  expect((await register(second, 'two')).errors).toBeUndefined();
  expect((await register(first, 'three')).errors).toBeUndefined();
  const refused = await register(second, 'four');
  expect(errorCodes(refused)).toEqual(['RATE_LIMITED']);
  expect(refused.errors![0].extensions?.retryAfterSeconds).toBeGreaterThan(3500);
  expect(errorCodes(await register(first, 'five'))).toEqual(['RATE_LIMITED']);
});

test('failed logins on one login: 10 across both instances lock it on both', async () => {
  for (let attempt = 1; attempt <= 10; attempt += 1) {
    const api = attempt % 2 === 0 ? first : second;
    expect(errorCodes(await api.login('one', `wrong guess ${attempt}`))).toEqual(['BAD_USER_INPUT']);
  }
  expect(errorCodes(await first.login('one', 'passphrase of one'))).toEqual(['RATE_LIMITED']);
  expect(errorCodes(await second.login('one', 'passphrase of one'))).toEqual(['RATE_LIMITED']);
  // Another login of the same database is not locked, on either.
  expect((await second.login('two', 'passphrase of two')).errors).toBeUndefined();
}, 20_000);
