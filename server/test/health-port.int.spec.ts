import { loseDatabase } from './support/database-loss';
import { TestApi } from './support/test-server';

/**
 * HEALTH_PORT: a second listener, answered by a thread of its own, that says what /healthz on the
 * service's port says (http/health-listener.ts; its own spec covers a blocked service thread).
 */
async function check(url: string, init: RequestInit = {}) {
  const response = await fetch(`${url}/healthz`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text ? (JSON.parse(text) as unknown) : null,
  };
}

/** The first answer of /healthz that is not 200, checking every 100 ms for up to 5 s. */
async function firstUnhealthy(url: string) {
  const deadline = Date.now() + 5000;
  let answer = await check(url);
  while (answer.status === 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    answer = await check(url);
  }
  return answer;
}

test('without HEALTH_PORT there is no second listener', async () => {
  const api = await TestApi.start();
  try {
    expect(api.server.healthUrl).toBeNull();
  } finally {
    await api.stop();
  }
});

describe('with HEALTH_PORT', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await TestApi.start({ healthPort: 0 });
  });
  afterAll(() => api.stop());

  test('answers GET and HEAD /healthz as the service port does, and nothing else', async () => {
    const healthUrl = api.server.healthUrl!;
    expect(healthUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(healthUrl).not.toBe(api.server.url);
    const main = await check(api.server.url);
    const health = await check(healthUrl);
    expect(health).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(health.json).toEqual(main.json);
    expect(health.headers.get('cache-control')).toBe('no-store');
    expect((await check(healthUrl, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${healthUrl}/livez`)).status).toBe(200);
    expect((await check(healthUrl, { method: 'DELETE' })).status).toBe(405);
    // The API, the client and the rest of the service are on PORT only.
    const graphql = await fetch(`${healthUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(graphql.status).toBe(404);
    expect((await fetch(`${healthUrl}/`)).status).toBe(404);
  });
});

test('the database gone: 503 with the reason on both ports', async () => {
  const broken = await TestApi.start({ healthPort: 0 });
  try {
    expect((await check(broken.server.healthUrl!)).status).toBe(200);
    await loseDatabase(broken);
    // A probe's answer is reused for a second (the disk is not a public endpoint's to load): then 503.
    const main = await firstUnhealthy(broken.server.url);
    expect(main).toMatchObject({ status: 503, json: { status: 'unavailable', reason: 'database' } });
    // Its detail is the probe's own (on PostgreSQL, a cut connection, then a refused one).
    expect(await firstUnhealthy(broken.server.healthUrl!)).toMatchObject({
      status: 503,
      json: { status: 'unavailable', reason: 'database', detail: expect.any(String) },
    });
    // Alive all the same: restarting the service would not bring the database back.
    expect((await fetch(`${broken.server.healthUrl!}/livez`)).status).toBe(200);
  } finally {
    await broken.stop();
  }
});

test('stopping the service closes the health port', async () => {
  const api = await TestApi.start({ healthPort: 0 });
  const healthUrl = api.server.healthUrl!;
  expect((await check(healthUrl)).status).toBe(200);
  await api.stop();
  await expect(fetch(`${healthUrl}/healthz`)).rejects.toThrow();
});
