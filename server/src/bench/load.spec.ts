import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { runProbe } from './load';

/** A server answering /healthz after delayMs with status; its origin and the checks it counted. */
async function healthServer(status: number, delayMs: number) {
  let checks = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') checks += 1;
    setTimeout(() => res.writeHead(status).end('{}'), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    checks: () => checks,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

test('times /healthz on the service port and on HEALTH_PORT apart, failures counted', async () => {
  const service = await healthServer(200, 60);
  const health = await healthServer(503, 0);
  try {
    let ready = false;
    const result = await runProbe(
      { mode: 'probe', url: service.origin, healthUrl: health.origin, duration: 0.5 },
      () => (ready = true),
    );
    expect(ready).toBe(true);
    // One untimed check each first; the health port fails it (503), so it is still timed: it exists.
    expect(result.healthz.failures).toBe(0);
    expect(result.healthz.p50).toBeGreaterThanOrEqual(55);
    expect(service.checks()).toBeGreaterThanOrEqual(6);
    expect(result.healthPort).not.toBeNull();
    expect(result.healthPort!.p50).toBeLessThan(55);
    expect(result.healthPort!.failures).toBe(health.checks() - 1);
    expect(result.connect.failures).toBe(0);
  } finally {
    await Promise.all([service.close(), health.close()]);
  }
});

test('a build without HEALTH_PORT (nothing listens there): only the service port is timed', async () => {
  const service = await healthServer(200, 0);
  const gone = await healthServer(200, 0);
  await gone.close();
  try {
    const result = await runProbe({
      mode: 'probe',
      url: service.origin,
      healthUrl: gone.origin,
      duration: 0.2,
    });
    expect(result.healthPort).toBeNull();
    expect(result.healthz.failures).toBe(0);
  } finally {
    await service.close();
  }
});
