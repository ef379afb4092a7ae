import { ManualClock } from '../src/clock';
import { ME } from './support/operations';
import { TestApi, errorCodes, type TestUser } from './support/test-server';

const TTL_SECONDS = 2 * 3600;
/** Any field that needs a signed-in user. */
const NEEDS_SESSION = `{ tickets(first: 1) { totalCount } }`;

let api: TestApi;
let clock: ManualClock;
let user: TestUser;

beforeAll(async () => {
  // A whole second: tokens count in seconds.
  clock = new ManualClock(Date.UTC(2026, 4, 1, 8, 0, 0));
  api = await TestApi.start({ tokenTtlSeconds: TTL_SECONDS }, { clock });
  user = await api.register('sleeper');
});
afterAll(() => api.stop());

describe('sessions follow the service clock', () => {
  test('a token works until one second before its TTL and is "expired" exactly at it', async () => {
    clock.advance(TTL_SECONDS * 1000 - 1000);
    expect((await api.gql(NEEDS_SESSION, {}, { token: user.token })).errors).toBeUndefined();

    clock.advance(1000);
    const expired = await api.gql(NEEDS_SESSION, {}, { token: user.token });
    expect(errorCodes(expired)).toEqual(['UNAUTHENTICATED']);
    expect(expired.errors![0].message).toMatch(/expired/);
    expect((await api.ok<{ me: unknown }>(ME, {}, user.token)).me).toBeNull();

    // A login at the clock's time gets a fresh TTL from there.
    const fresh = (await api.login(user.username, user.password)).data!.login.token;
    expect((await api.gql(NEEDS_SESSION, {}, { token: fresh })).errors).toBeUndefined();
  });
});
