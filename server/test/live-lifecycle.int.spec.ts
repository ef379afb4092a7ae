import WebSocket from 'ws';
import { ManualClock } from '../src/clock';
import { LIVE_CLOSE, LIVE_LIMITS } from '../src/live/live-connections';
import { LiveClient, waitFor } from './support/live-client';
import { TestApi } from './support/test-server';

/** The live socket's life: sessions that expire, the service stopping, addresses and handshakes refused. */

const JOB_ADDED = 'subscription { jobAdded { id comment } }';

describe('a session that expires is disconnected', () => {
  test('at its expiry, by its own timer', async () => {
    const api = await TestApi.start({ tokenTtlSeconds: 2 });
    try {
      const user = await api.register('brief');
      const socket = await LiveClient.open(api.url, { token: user.token });
      const openedAt = Date.now();
      expect(await socket.closedBy(4000)).toEqual({
        code: LIVE_CLOSE.forbidden,
        reason: 'Session expired: sign in again.',
      });
      // Tokens count whole seconds: between one and three seconds after it opened.
      expect(Date.now() - openedAt).toBeLessThan(3500);
      await socket.dispose();
    } finally {
      await api.stop();
    }
  });

  test('by the service clock, at the periodic check', async () => {
    const clock = new ManualClock(Date.UTC(2026, 4, 1, 8, 0, 0));
    const api = await TestApi.start({ tokenTtlSeconds: 3600 }, { clock });
    try {
      const user = await api.register('sleeper');
      const socket = await LiveClient.open(api.url, { token: user.token });
      clock.advance(3599 * 1000);
      await api.server.live.recheckNow();
      expect(socket.connected).toBe(true);
      clock.advance(1000);
      await api.server.live.recheckNow();
      expect(await socket.closedBy()).toEqual({
        code: LIVE_CLOSE.forbidden,
        reason: 'Session expired: sign in again.',
      });
      await socket.dispose();
    } finally {
      await api.stop();
    }
  });
});

describe('the socket itself', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start();
  });
  afterAll(() => api.stop());

  test('another path is not upgraded (404)', async () => {
    const socket = new WebSocket(`${api.url.replace('http', 'ws')}/api/graphql`, 'graphql-transport-ws');
    const error = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(error.message).toBe('Unexpected server response: 404');
  });

  test('without connection_init in time the socket is closed (4408)', async () => {
    const socket = new WebSocket(`${api.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    const startedAt = Date.now();
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    expect(closed).toEqual({ code: 4408, reason: 'Connection initialisation timeout' });
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(LIVE_LIMITS.connectionInitWaitMs - 100);
  }, 10_000);

  test('a message that is not graphql-ws closes the socket (4400), without a stack', async () => {
    const socket = new WebSocket(`${api.url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('{"type":"connection_init"'); // cut short
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: String(reason) })),
    );
    expect(closed).toEqual({ code: 4400, reason: 'Invalid message received' });
  });
});

test('stopping the service closes every socket with 1001 before the database closes', async () => {
  const api = await TestApi.start();
  const { admin } = await api.registerAdminAndAgent();
  const sockets = await Promise.all([
    LiveClient.open(api.url, { token: admin.token }),
    LiveClient.open(api.url, { token: admin.token }),
  ]);
  const subscription = sockets[0].subscribe(JOB_ADDED);
  await waitFor(() => api.server.services.live.subscriberCount === 1, 5000, 'the subscription');
  await api.stop();
  for (const socket of sockets) {
    expect(await socket.closedBy()).toEqual({ code: 1001, reason: 'The service is stopping.' });
    await socket.dispose();
  }
  // graphql-ws tells the subscription's sink why it ended: the close event.
  expect((subscription.error as { code: number }).code).toBe(1001);
  expect(api.server.services.live.subscriberCount).toBe(0);
});
