import http from 'node:http';
import net from 'node:net';
import { Worker } from 'node:worker_threads';
import type { DatabaseHealth } from '../database/data-source';
import { HealthListenError, type HealthListener, startHealthListener } from './health-listener';

const logger = { error: jest.fn(), warn: jest.fn() };
const listeners: HealthListener[] = [];

async function listen(
  probe: () => Promise<DatabaseHealth>,
  options: { stallMs?: number; waitMs?: number; staleMs?: number; maxConnectionsPerAddress?: number } = {},
): Promise<HealthListener> {
  const listener = await startHealthListener({ port: 0, host: '127.0.0.1', probe, logger, ...options });
  listeners.push(listener);
  return listener;
}

async function check(listener: HealthListener, init: RequestInit = {}, path = '/healthz') {
  const started = performance.now();
  const response = await fetch(`${listener.url}${path}`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
    ms: performance.now() - started,
  };
}

afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()));
});

test('answers 200 {status: "ok"} while the probe says the database takes writes', async () => {
  const probe = jest.fn(() => Promise.resolve<DatabaseHealth>({ ok: true }));
  const listener = await listen(probe);
  const answer = await check(listener);
  expect(answer.status).toBe(200);
  expect(answer.body).toEqual({ status: 'ok' });
  expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
  expect(answer.headers.get('cache-control')).toBe('no-store');
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  expect(probe).toHaveBeenCalledTimes(1);
});

test('a fault of the database is a 503 with its detail, fresh from the probe', async () => {
  let health: DatabaseHealth = { ok: true };
  const listener = await listen(() => Promise.resolve(health));
  expect((await check(listener)).status).toBe(200);
  health = { ok: false, detail: 'the disk is full' };
  const answer = await check(listener);
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({ status: 'unavailable', reason: 'database', detail: 'the disk is full' });
  // Alive all the same: a restart would not mend the disk.
  expect(await check(listener, {}, '/livez')).toMatchObject({ status: 200, body: { status: 'ok' } });
});

test('HEAD answers the status without a body; another method is 405, another path 404', async () => {
  const listener = await listen(() => Promise.resolve({ ok: true }));
  const head = await check(listener, { method: 'HEAD' });
  expect(head.status).toBe(200);
  expect(head.body).toBeUndefined();
  const post = await check(listener, { method: 'POST', body: '{}' });
  expect(post.status).toBe(405);
  expect(post.headers.get('allow')).toBe('GET, HEAD');
  const other = await check(listener, {}, '/graphql');
  expect(other.status).toBe(404);
  expect(other.body).toEqual({
    status: 'not found',
    detail: 'this port answers GET /healthz and GET /livez only',
  });
  // A query string is not another path.
  expect((await check(listener, {}, '/healthz?from=balancer')).status).toBe(200);
});

/** GET /healthz through node:http from a given local address (127.0.0.x are all this machine's). */
function checkFrom(listener: HealthListener, localAddress: string, path = '/healthz') {
  return new Promise<number>((resolve, reject) => {
    const request = http.get(`${listener.url}${path}`, { localAddress, agent: false }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    request.on('error', reject);
  });
}

/** A raw request written as given; the status line of the answer. */
function rawRequest(listener: HealthListener, text: string) {
  return new Promise<string>((resolve, reject) => {
    const socket = net.connect(Number(new URL(listener.url).port), '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    socket.on('end', () => resolve(answer.split('\r\n')[0]));
    socket.on('error', reject);
  });
}

test('the path matches as on the service port: absolute form, any case, a trailing slash', async () => {
  const listener = await listen(() => Promise.resolve({ ok: true }));
  expect((await check(listener, {}, '/healthz/')).status).toBe(200);
  expect((await check(listener, {}, '/HEALTHZ')).status).toBe(200);
  expect(
    await rawRequest(listener, 'GET http://x/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
  ).toBe('HTTP/1.1 200 OK');
  expect((await check(listener, {}, '/healthz/more')).status).toBe(404);
});

test('one address holding its share of connections cannot take the port from another', async () => {
  const listener = await listen(() => Promise.resolve({ ok: true }), { maxConnectionsPerAddress: 4 });
  const port = Number(new URL(listener.url).port);
  const held = await Promise.all(
    Array.from(
      { length: 4 },
      () =>
        new Promise<net.Socket>((resolve) => {
          const socket = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.1' }, () =>
            resolve(socket),
          );
        }),
    ),
  );
  try {
    // Give the worker time to count them.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await expect(checkFrom(listener, '127.0.0.1')).rejects.toThrow();
    await expect(checkFrom(listener, '127.0.0.2')).resolves.toBe(200);
  } finally {
    for (const socket of held) socket.destroy();
  }
  await new Promise((resolve) => setTimeout(resolve, 100));
  await expect(checkFrom(listener, '127.0.0.1')).resolves.toBe(200);
});

test('a probe slower than waitMs: the last answer stands in at once, the fresh one serves the next check', async () => {
  let answers: DatabaseHealth[] = [{ ok: true }];
  let release: () => void = () => {};
  const probe = () =>
    new Promise<DatabaseHealth>((resolve) => {
      const health = answers.shift()!;
      release = () => resolve(health);
    });
  const listener = await listen(probe, { waitMs: 20 });
  const first = check(listener);
  await new Promise((resolve) => setTimeout(resolve, 50));
  release();
  expect((await first).status).toBe(200); // the first check waits: nothing could stand in for it
  answers = [{ ok: false, detail: 'read-only' }];
  const slow = await check(listener);
  expect(slow.status).toBe(200);
  expect(slow.ms).toBeLessThan(200);
  release();
  await new Promise((resolve) => setTimeout(resolve, 20));
  answers = [{ ok: true }];
  const next = await check(listener);
  expect(next.status).toBe(503);
  expect(next.body).toMatchObject({ reason: 'database', detail: 'read-only' });
});

test('a probe that never answers: 503 stalled after stallMs, never a hung check', async () => {
  const listener = await listen(() => new Promise<DatabaseHealth>(() => {}), { stallMs: 300 });
  const answer = await check(listener);
  expect(answer.status).toBe(503);
  expect(answer.body).toEqual({
    status: 'unavailable',
    reason: 'stalled',
    detail: 'the service did not answer the health probe within 300 ms',
  });
  expect(answer.ms).toBeGreaterThanOrEqual(250);
  expect(answer.ms).toBeLessThan(2000);
});

test("answers while the service's thread is blocked, and says stalled once it has been blocked for stallMs", async () => {
  const listener = await listen(() => Promise.resolve({ ok: true }), { stallMs: 1000 });
  expect((await check(listener)).status).toBe(200);
  // Another thread checks twice, 100 ms and 1,500 ms after this one blocks for 2 s (Atomics.wait).
  const checker = new Worker(
    `
    const { parentPort, workerData } = require('node:worker_threads');
    const at = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const check = async (path = '/healthz') => {
      const started = performance.now();
      const response = await fetch(workerData.url + path);
      return { status: response.status, body: await response.json(), ms: performance.now() - started };
    };
    parentPort.once('message', async () => {
      const started = performance.now();
      await at(100);
      const during = await check();
      await at(1500 - (performance.now() - started));
      const stalled = await check();
      const live = await check('/livez');
      parentPort.postMessage({ during, stalled, live });
    });
    parentPort.postMessage('ready');
    `,
    { eval: true, workerData: { url: listener.url } },
  );
  try {
    await new Promise((resolve) => checker.once('message', resolve));
    const results = new Promise<Record<string, { status: number; body: unknown; ms: number }>>((resolve) =>
      checker.once('message', resolve),
    );
    checker.postMessage('go');
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2000);
    const { during, stalled, live } = await results;
    expect(during.status).toBe(200);
    expect(during.ms).toBeLessThan(500);
    expect(stalled.status).toBe(503);
    expect(stalled.body).toEqual({
      status: 'unavailable',
      reason: 'stalled',
      detail: expect.stringMatching(/^the service has not turned its event loop for \d+ ms$/),
    });
    expect(live).toMatchObject({ status: 503, body: { status: 'unavailable', reason: 'stalled' } });
  } finally {
    await checker.terminate();
  }
  // The thread turns again: healthy and alive at the next check.
  expect((await check(listener)).status).toBe(200);
  expect((await check(listener, {}, '/livez')).status).toBe(200);
});

test("a port in use: HealthListenError with the system's code", async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  try {
    const port = (blocker.address() as net.AddressInfo).port;
    const started = startHealthListener({
      port,
      host: '127.0.0.1',
      probe: () => Promise.resolve({ ok: true }),
      logger,
    });
    await expect(started).rejects.toBeInstanceOf(HealthListenError);
    await expect(started).rejects.toMatchObject({ code: 'EADDRINUSE' });
  } finally {
    blocker.close();
  }
});

test('close() closes the port, keep-alive connections included; a second close is harmless', async () => {
  const listener = await listen(() => Promise.resolve({ ok: true }));
  expect((await check(listener)).status).toBe(200);
  await listener.close();
  await listener.close();
  await expect(fetch(`${listener.url}/healthz`)).rejects.toThrow();
  expect(logger.error).not.toHaveBeenCalled();
});
