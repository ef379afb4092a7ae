import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DatabaseHealth } from '../database/data-source';
import {
  type Admission,
  type GateScheduler,
  STANDING_QUEUE_WAIT_SHARE,
  TURN_BUDGET_MS,
  type LoadSheddingLimits,
  OVERLOADED_MESSAGE,
  RequestGate,
  type ShedReason,
  ShedLog,
  pathOf,
  promptHealth,
  withLoadShedding,
} from './load-shedding';

/** maxQueueWaitMs in the standing queue tests, and the longest wait in a standing queue then (50 ms). */
const QUEUE_WAIT = 200;
const STANDING_WAIT = QUEUE_WAIT * STANDING_QUEUE_WAIT_SHARE;

/** Turns of the event loop and time, moved by the test alone. */
class ManualScheduler implements GateScheduler {
  at = 0;
  private turns: (() => void)[] = [];
  private timers: { at: number; fn: () => void }[] = [];

  now(): number {
    return this.at;
  }

  nextTurn(fn: () => void): void {
    this.turns.push(fn);
  }

  after(ms: number, fn: () => void): () => void {
    const timer = { at: this.at + ms, fn };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** One turn: the immediates queued before it began; work queued meanwhile waits for the next. */
  turn(): void {
    const due = this.turns;
    this.turns = [];
    for (const fn of due) fn();
  }

  /** Moves time, firing due timers in order. */
  advance(ms: number): void {
    const until = this.at + ms;
    for (;;) {
      const next = this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.at = next.at;
      next.fn();
    }
    this.at = until;
  }
}

/** A request as the gate sees it: what happened to it, and its release once admitted. */
interface Probe extends Admission {
  state: 'waiting' | 'admitted' | ShedReason;
  release(): void;
  cancel(): void;
}

function setUp(limits: Partial<LoadSheddingLimits> = {}, loopDelayMs = () => 0) {
  const scheduler = new ManualScheduler();
  const gate = new RequestGate(
    {
      maxConcurrentRequests: 2,
      maxQueuedRequests: 3,
      maxQueueWaitMs: 1000,
      maxEventLoopDelayMs: 0,
      ...limits,
    },
    loopDelayMs,
    scheduler,
  );
  const request = (): Probe => {
    let release = () => {};
    const probe: Probe = {
      state: 'waiting',
      admitted(releaseIt) {
        probe.state = 'admitted';
        release = releaseIt;
      },
      refused(reason) {
        probe.state = reason;
      },
      release: () => release(),
      cancel: () => {},
    };
    probe.cancel = gate.enter(probe);
    return probe;
  };
  return { scheduler, gate, request };
}

describe('the request gate', () => {
  test('a lone request starts at once, and releasing it frees its place', () => {
    const { gate, request } = setUp();
    const first = request();
    expect(first.state).toBe('admitted');
    expect(gate.inFlight).toBe(1);
    first.release();
    first.release();
    expect(gate.inFlight).toBe(0);
  });

  test('a turn runs requests one after the other until its budget is spent; the rest wait for the next turns, first come first served', () => {
    const { scheduler, gate, request } = setUp({ maxConcurrentRequests: 10, maxQueuedRequests: 10 });
    const a = request();
    scheduler.advance(TURN_BUDGET_MS); // a held the thread for the whole budget (and still waits on I/O)
    const [b, c, d, e] = [request(), request(), request(), request()];
    expect([a.state, b.state, c.state, d.state, e.state]).toEqual([
      'admitted',
      'waiting',
      'waiting',
      'waiting',
      'waiting',
    ]);
    scheduler.turn(); // the next turn starts one: its cost is known only when it ends
    expect([b.state, c.state]).toEqual(['admitted', 'waiting']);
    scheduler.advance(TURN_BUDGET_MS / 2);
    b.release(); // half the budget left: the next starts at once, in this turn
    expect([c.state, d.state]).toEqual(['admitted', 'waiting']);
    scheduler.advance(TURN_BUDGET_MS / 2);
    c.release(); // budget spent: the gate yields so that Node polls its sockets
    expect(d.state).toBe('waiting');
    scheduler.turn();
    expect([d.state, e.state]).toEqual(['admitted', 'waiting']);
    expect(gate.inFlight).toBe(2);
    expect(gate.queued).toBe(1);
  });

  test('no pause after a long turn: the next in line starts at the next turn, the thread never idles while requests wait', () => {
    const { scheduler, request } = setUp({ maxConcurrentRequests: 1 });
    const slow = request();
    const next = request();
    scheduler.advance(90); // the request held the thread for 90 ms
    slow.release();
    expect(next.state).toBe('waiting');
    scheduler.turn();
    expect(next.state).toBe('admitted');
  });

  test('while new connections come, turns are left to accepting them (one per turn), for up to TURN_BUDGET_MS in a row', () => {
    const { scheduler, gate, request } = setUp({ maxConcurrentRequests: 1 });
    const running = request();
    const next = request();
    running.release(); // the budget is not spent, but the line is not empty: next starts at once
    expect(next.state).toBe('admitted');
    const waiting = request();
    next.release(); // nothing was spent: waiting starts too, in this turn
    expect(waiting.state).toBe('admitted');
    const later = request();
    scheduler.advance(TURN_BUDGET_MS);
    waiting.release(); // budget spent: later waits for a turn
    gate.connectionAccepted();
    scheduler.turn();
    expect(later.state).toBe('waiting'); // that turn was left to accepting
    scheduler.advance(TURN_BUDGET_MS - 1);
    gate.connectionAccepted();
    scheduler.turn();
    expect(later.state).toBe('waiting');
    scheduler.advance(1);
    gate.connectionAccepted(); // TURN_BUDGET_MS of accepting in a row: a request starts anyway
    scheduler.turn();
    expect(later.state).toBe('admitted');
  });

  test('a turn without a new connection starts the next in line', () => {
    const { scheduler, gate, request } = setUp({ maxConcurrentRequests: 1 });
    const running = request();
    const next = request();
    scheduler.advance(TURN_BUDGET_MS);
    running.release();
    gate.connectionAccepted();
    scheduler.turn();
    expect(next.state).toBe('waiting');
    scheduler.turn(); // no connection in the last turn
    expect(next.state).toBe('admitted');
  });

  test('past maxConcurrentRequests running, requests wait for a place', () => {
    const { scheduler, request } = setUp({ maxConcurrentRequests: 2 });
    const [a, b, c] = [request(), request(), request()];
    expect([a.state, b.state, c.state]).toEqual(['admitted', 'admitted', 'waiting']);
    scheduler.turn();
    expect(c.state).toBe('waiting');
    a.release();
    scheduler.turn();
    expect(c.state).toBe('admitted');
  });

  test('past maxQueuedRequests waiting, a request is refused at once', () => {
    const { request } = setUp({ maxConcurrentRequests: 1, maxQueuedRequests: 2 });
    const states = Array.from({ length: 4 }, () => request().state);
    expect(states).toEqual(['admitted', 'waiting', 'waiting', 'queueFull']);
  });

  test('a request still waiting after maxQueueWaitMs is refused; one admitted before is not', () => {
    // Two waiting, and no pace known yet: not a standing queue, so maxQueueWaitMs is the limit.
    const { scheduler, request } = setUp({
      maxConcurrentRequests: 1,
      maxQueueWaitMs: 80,
    });
    const running = request();
    const [b, c] = [request(), request()];
    scheduler.turn(); // the running request waits on I/O: its turn was short
    scheduler.advance(79);
    running.release();
    scheduler.turn();
    expect(b.state).toBe('admitted');
    scheduler.advance(1);
    expect(c.state).toBe('queueTimeout');
    scheduler.advance(1000);
    expect(b.state).toBe('admitted');
  });

  test('a client that leaves while waiting gives its place up: it is neither started nor refused', () => {
    const { scheduler, gate, request } = setUp({ maxConcurrentRequests: 1 });
    const running = request();
    const [left, next] = [request(), request()];
    left.cancel();
    expect(gate.queued).toBe(1);
    running.release();
    scheduler.turn();
    scheduler.advance(5000);
    expect(left.state).toBe('waiting');
    expect(next.state).toBe('admitted');
  });

  test('a long turn while nobody waits does not pause: a lone client is not slowed down', () => {
    const { scheduler, request } = setUp({ maxConcurrentRequests: 1 });
    const slow = request();
    scheduler.advance(100);
    slow.release();
    scheduler.turn();
    expect(request().state).toBe('admitted');
  });

  test('a line longer than the gate starts within maxQueueWaitMs is served newest first; who waited a quarter of it is refused', () => {
    const { scheduler, gate, request } = setUp({
      maxConcurrentRequests: 1,
      maxQueuedRequests: 100,
      maxQueueWaitMs: QUEUE_WAIT,
    });
    let running = request();
    const first = Array.from({ length: 6 }, () => request());
    const serveAt = (at: number) => {
      scheduler.advance(at - scheduler.at);
      running.release();
      scheduler.turn();
    };
    for (const [n, next] of first.entries()) {
      serveAt(20 * (n + 1)); // one start every 20 ms, for PACE_WINDOW_MS
      expect(next.state).toBe('admitted');
      running = next;
    }
    const old = request();
    scheduler.advance(20);
    const line = Array.from({ length: 12 }, () => request());
    // Thirteen waiting, one start per 20 ms: 260 ms of line, over maxQueueWaitMs (200).
    serveAt(120 + STANDING_WAIT - 1);
    expect(old.state).toBe('waiting'); // it waited 49 ms: not refused; the newest started first
    expect(line.map((r) => r.state)).toEqual([...Array<string>(11).fill('waiting'), 'admitted']);
    running = line[11];
    serveAt(120 + STANDING_WAIT);
    expect(old.state).toBe('queueTimeout'); // it waited STANDING_WAIT (50 ms); the others 30 ms
    expect(line.map((r) => r.state)).toEqual([...Array<string>(10).fill('waiting'), 'admitted', 'admitted']);
    expect(gate.queued).toBe(10);
  });

  test('a few clients more than the places are all served, first come first served, however long it lasts', () => {
    // Closed loop: three clients, one place, 20 ms each: every request waits 40 ms, all the time.
    const { scheduler, request } = setUp({
      maxConcurrentRequests: 1,
      maxQueuedRequests: 100,
      maxQueueWaitMs: QUEUE_WAIT,
    });
    let running = request();
    let line = [request(), request()];
    const order: number[] = [];
    let sent = 3;
    for (let n = 0; n < 50; n++) {
      scheduler.advance(20);
      running.release();
      scheduler.turn();
      expect(line.map((r) => r.state)).toEqual(['admitted', 'waiting']);
      order.push(sent - 2);
      running = line[0];
      line = [line[1], request()]; // the client that was served sends again
      sent++;
    }
    expect(order).toEqual(Array.from({ length: 50 }, (_, n) => n + 1));
  });

  test('while the event loop lags past maxEventLoopDelayMs, requests are refused; 0 does not check', () => {
    let lag = 0;
    const { request } = setUp({ maxEventLoopDelayMs: 200 }, () => lag);
    expect(request().state).toBe('admitted');
    lag = 250;
    expect(request().state).toBe('eventLoopDelay');
    const unchecked = setUp({ maxEventLoopDelayMs: 0 }, () => 10_000);
    expect(unchecked.request().state).toBe('admitted');
  });

  test('maxConcurrentRequests 0 sets no limit on requests running: only the turn budget paces them', () => {
    const { gate, request } = setUp({ maxConcurrentRequests: 0 });
    const requests = Array.from({ length: 40 }, () => request());
    expect(requests.every((r) => r.state === 'admitted')).toBe(true);
    expect(gate.inFlight).toBe(40);
  });
});

describe('the refusal log', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('one warning per interval with the count by reason, none when nothing was refused', () => {
    const warn = jest.fn();
    const log = new ShedLog({ warn }, () => ({ inFlight: 2, queued: 3 }), 1000);
    for (let n = 0; n < 500; n += 1) log.count('queueFull');
    log.count('queueTimeout');
    expect(warn).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1000);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(
      { shed: 501, reasons: { queueFull: 500, queueTimeout: 1 }, inFlight: 2, queued: 3 },
      expect.any(String),
    );
    jest.advanceTimersByTime(5000);
    expect(warn).toHaveBeenCalledTimes(1);
    log.stop();
  });
});

describe('the health answer while busy', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  test('the first check waits for the probe; later ones answer the last result when the probe is slow', async () => {
    let finish: (health: { ok: true }) => void = () => {};
    const slow = () => new Promise<{ ok: true }>((resolve) => (finish = resolve));
    const probe = jest.fn(slow);
    const health = promptHealth(probe, 50);

    const first = health();
    finish({ ok: true });
    await expect(first).resolves.toEqual({ ok: true });

    const second = health();
    jest.advanceTimersByTime(50);
    await expect(second).resolves.toEqual({ ok: true });
    expect(probe).toHaveBeenCalledTimes(2);
  });

  test('checks while a probe is under way share it: a flood of checks queues no writes', async () => {
    let finish: (health: { ok: true }) => void = () => {};
    const probe = jest.fn(() => new Promise<{ ok: true }>((resolve) => (finish = resolve)));
    const health = promptHealth(probe, 50);
    const checks = [health(), health(), health()];
    finish({ ok: true });
    await expect(Promise.all(checks)).resolves.toEqual([{ ok: true }, { ok: true }, { ok: true }]);
    expect(probe).toHaveBeenCalledTimes(1);
    const next = health();
    finish({ ok: true });
    await expect(next).resolves.toEqual({ ok: true });
    expect(probe).toHaveBeenCalledTimes(2);
  });

  test('while requests wait in line, the last result at once, and the probe runs on for the next check', async () => {
    let finish: (health: DatabaseHealth) => void = () => {};
    const probe = jest.fn(() => new Promise<DatabaseHealth>((resolve) => (finish = resolve)));
    let busy = false;
    const health = promptHealth(probe, 50, () => busy);
    const first = health();
    finish({ ok: true });
    await expect(first).resolves.toEqual({ ok: true });

    busy = true;
    // No timer advanced: answered without waiting for the probe it started.
    await expect(health()).resolves.toEqual({ ok: true });
    expect(probe).toHaveBeenCalledTimes(2);
    // The probe finds a fault: the next check (busy or not) reports it.
    finish({ ok: false, detail: 'cannot write (SQLITE_FULL)' });
    for (let turn = 0; turn < 3; turn++) await Promise.resolve();
    await expect(health()).resolves.toEqual({ ok: false, detail: 'cannot write (SQLITE_FULL)' });
  });

  test('a probe that throws is a fault, answered by the checks after it, busy or not', async () => {
    const eio = () =>
      Promise.reject(
        Object.assign(new Error('EIO: i/o error, stat /data/ticketing.sqlite'), { code: 'EIO' }),
      );
    const outcomes: (() => Promise<DatabaseHealth>)[] = [
      () => Promise.resolve({ ok: true }),
      eio,
      eio,
      () => {
        throw new Error('no code, and a message that must not be shown');
      },
    ];
    let busy = false;
    const health = promptHealth(
      () => outcomes.shift()!(),
      50,
      () => busy,
    );
    await expect(health()).resolves.toEqual({ ok: true });
    busy = true;
    // The check that starts the failing probe answers the last result; the next one says what failed.
    await expect(health()).resolves.toEqual({ ok: true });
    for (let turn = 0; turn < 3; turn++) await Promise.resolve();
    await expect(health()).resolves.toEqual({ ok: false, detail: 'the write probe failed (EIO)' });
    busy = false;
    for (let turn = 0; turn < 3; turn++) await Promise.resolve();
    // Not busy: the check waits for its probe, which throws at once (no code: its message is not shown).
    await expect(health()).resolves.toEqual({ ok: false, detail: 'the write probe failed (error)' });
    expect(outcomes).toHaveLength(0);
  });

  test('a probe that never finishes is a fault after stuckMs, whatever the last answer was', async () => {
    jest.setSystemTime(new Date('2026-11-27T12:00:00Z'));
    const answers: (() => Promise<DatabaseHealth>)[] = [
      () => Promise.resolve({ ok: true }),
      () => new Promise<DatabaseHealth>(() => {}), // a hung server: never answers
    ];
    let busy = false;
    const health = promptHealth(
      () => answers.shift()!(),
      50,
      () => busy,
      10_000,
    );
    await expect(health()).resolves.toEqual({ ok: true });
    for (let turn = 0; turn < 3; turn++) await Promise.resolve();
    const during = health();
    jest.advanceTimersByTime(50);
    await expect(during).resolves.toEqual({ ok: true }); // the last answer stands in, for now
    busy = true;
    jest.advanceTimersByTime(9_000);
    await expect(health()).resolves.toEqual({ ok: true });
    jest.advanceTimersByTime(2_000);
    const stuck = { ok: false, detail: 'the write probe has not finished for 11 s' };
    await expect(health()).resolves.toEqual(stuck);
    busy = false;
    await expect(health()).resolves.toEqual(stuck);
    expect(answers).toHaveLength(0); // no second probe queued behind the hung one
  });

  test('the first check of a hung database waits stuckMs, not forever', async () => {
    jest.setSystemTime(new Date('2026-11-27T12:00:00Z'));
    const health = promptHealth(
      () => new Promise<DatabaseHealth>(() => {}),
      50,
      () => false,
      10_000,
    );
    const first = health();
    jest.advanceTimersByTime(10_000);
    await expect(first).resolves.toEqual({ ok: false, detail: 'the write probe has not finished for 10 s' });
  });

  test('a probe that answers in time is the answer: a fault is reported at once', async () => {
    const results = [{ ok: true as const }, { ok: false as const, detail: 'cannot write (SQLITE_FULL)' }];
    const health = promptHealth(() => Promise.resolve(results.shift()!), 50);
    await expect(health()).resolves.toEqual({ ok: true });
    await expect(health()).resolves.toEqual({ ok: false, detail: 'cannot write (SQLITE_FULL)' });
  });
});

describe('the server’s listener with load shedding', () => {
  test('a refused API request gets 503, Retry-After and its route’s error shape; other paths are not gated', async () => {
    const gate = new RequestGate({
      maxConcurrentRequests: 1,
      maxQueuedRequests: 0,
      maxQueueWaitMs: 1000,
      maxEventLoopDelayMs: 0,
    });
    // The first GraphQL request is held (it keeps the only place) until the test ends it.
    let heldResponse: http.ServerResponse | undefined;
    const app: http.RequestListener = (req, res) => {
      if (req.url === '/graphql' && !heldResponse) heldResponse = res;
      else res.end('ok');
    };
    const counted: ShedReason[] = [];
    const server = http.createServer(withLoadShedding(gate, { count: (r) => counted.push(r) }, 1, app));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const held = fetch(`${url}/graphql`, { method: 'POST' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const graphql = await fetch(`${url}/graphql`, { method: 'POST' });
      expect(graphql.status).toBe(503);
      expect(graphql.headers.get('retry-after')).toBe('1');
      expect(await graphql.json()).toEqual({
        errors: [
          {
            message: OVERLOADED_MESSAGE,
            extensions: { code: 'INTERNAL_SERVER_ERROR', reason: 'OVERLOADED', retryAfterSeconds: 1 },
          },
        ],
      });
      const plain = await fetch(`${url}/api/export`);
      expect(plain.status).toBe(503);
      expect(await plain.json()).toEqual({
        error: {
          code: 'INTERNAL_SERVER_ERROR',
          reason: 'OVERLOADED',
          retryAfterSeconds: 1,
          message: OVERLOADED_MESSAGE,
        },
      });
      // The health check and the web client's files never wait in the line.
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      expect((await fetch(`${url}/apiary`)).status).toBe(200);
      expect(counted).toEqual(['queueFull', 'queueFull']);
      heldResponse?.end('{"data":{}}');
      expect((await held).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('pathOf', () => {
  test('reads the path of a request line in origin form and in absolute form, as the router does', () => {
    expect(pathOf('/graphql?x=1')).toBe('/graphql?x=1');
    expect(pathOf('http://example.com/graphql')).toBe('/graphql');
    expect(pathOf('HTTP://example.com:80/api/export?project=1')).toBe('/api/export?project=1');
    expect(pathOf(undefined)).toBe('/');
    expect(pathOf('*')).toBe('*');
  });
});
