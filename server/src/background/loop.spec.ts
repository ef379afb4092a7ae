import { AsyncLocalStorage } from 'node:async_hooks';
import { BackgroundLoop, isBackgroundWork } from './loop';

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe('BackgroundLoop', () => {
  const options = { intervalMs: 60_000, debounceMs: 5, onError: jest.fn() };

  test('a burst of nudges makes one run', async () => {
    const step = jest.fn(async () => false);
    const loop = new BackgroundLoop(step, options);
    for (let i = 0; i < 10; i += 1) loop.nudge();
    await tick(30);
    expect(step).toHaveBeenCalledTimes(1);
    await loop.stop();
  });

  test('runs one step at a time; a run asked for during a step comes after it', async () => {
    let active = 0;
    let maxActive = 0;
    const gate = deferred();
    const step = jest.fn(async () => {
      active += 1;
      maxActive = Math.max(maxActive, active);
      if (step.mock.calls.length === 1) await gate.promise;
      active -= 1;
      return false;
    });
    const loop = new BackgroundLoop(step, options);
    const first = loop.run();
    await tick();
    const second = loop.run();
    const third = loop.run();
    expect(second).toBe(third);
    gate.resolve();
    await Promise.all([first, second]);
    expect(step).toHaveBeenCalledTimes(2);
    expect(maxActive).toBe(1);
    await loop.stop();
  });

  test('a step that has more to do is called again at once, until it has not', async () => {
    let left = 3;
    const step = jest.fn(async () => --left > 0);
    const loop = new BackgroundLoop(step, options);
    await loop.run();
    expect(step).toHaveBeenCalledTimes(3);
    await loop.stop();
  });

  test('a failing step is reported and the next run happens all the same', async () => {
    const onError = jest.fn();
    const step = jest.fn().mockRejectedValueOnce(new Error('disk full')).mockResolvedValue(false);
    const loop = new BackgroundLoop(step, { ...options, onError });
    await loop.run();
    await loop.run();
    expect(onError).toHaveBeenCalledWith(expect.objectContaining({ message: 'disk full' }));
    expect(step).toHaveBeenCalledTimes(2);
    await loop.stop();
  });

  test('stop() waits for the step in progress and no step starts after it', async () => {
    const gate = deferred();
    let finished = false;
    const step = jest.fn(async () => {
      await gate.promise;
      finished = true;
      return true;
    });
    const loop = new BackgroundLoop(step, options);
    void loop.run();
    await tick();
    const stopped = loop.stop();
    gate.resolve();
    await stopped;
    expect(finished).toBe(true);
    expect(step).toHaveBeenCalledTimes(1);
    loop.nudge();
    await loop.run();
    await tick(20);
    expect(step).toHaveBeenCalledTimes(1);
  });

  test('exclusive work never runs beside a step', async () => {
    const order: string[] = [];
    const gate = deferred();
    const loop = new BackgroundLoop(async () => {
      order.push('step start');
      await gate.promise;
      order.push('step end');
      return false;
    }, options);
    void loop.run();
    await tick();
    const exclusive = loop.exclusive(async () => order.push('exclusive'));
    gate.resolve();
    await exclusive;
    expect(order).toEqual(['step start', 'step end', 'exclusive']);
    await loop.stop();
  });

  test('ticks on its interval once started', async () => {
    const step = jest.fn(async () => false);
    const loop = new BackgroundLoop(step, { ...options, intervalMs: 10 });
    loop.start();
    await tick(55);
    await loop.stop();
    expect(step.mock.calls.length).toBeGreaterThanOrEqual(3);
  });
});

describe('BackgroundLoop context', () => {
  test('steps run as background work, outside the async context of whoever nudged', async () => {
    const request = new AsyncLocalStorage<string>();
    const seen: { request: string | undefined; background: boolean }[] = [];
    const loop = new BackgroundLoop(
      async () => {
        seen.push({ request: request.getStore(), background: isBackgroundWork() });
        return false;
      },
      { intervalMs: 60_000, debounceMs: 1, onError: jest.fn() },
    );
    request.run('request 1', () => loop.nudge());
    await new Promise((resolve) => setTimeout(resolve, 20));
    await loop.exclusive(async () =>
      seen.push({ request: request.getStore(), background: isBackgroundWork() }),
    );
    await loop.stop();
    expect(isBackgroundWork()).toBe(false);
    expect(seen).toEqual([
      { request: undefined, background: true },
      { request: undefined, background: true },
    ]);
  });
});
