import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import type { DatabaseHealth } from '../database/data-source';
import type { HttpErrorBody } from './http-errors';

/*
 * Load shedding at the edge. Node runs every request on one thread, and a request on SQLite runs for tens
 * of milliseconds without giving the thread back (the driver is synchronous). Node accepts one new
 * connection per turn of its event loop (libuv#3696), and reads /healthz between turns: when hundreds of
 * requests are ready at once, a turn lasts seconds, new connections wait unaccepted and health checks
 * time out. So the API's requests wait in a line of ours instead, where they can be counted and timed:
 * each turn starts requests for a few milliseconds' worth of work (at least one), and after a turn that
 * ran long while others waited, the next start waits as long again (the thread then spends about half
 * its time on requests, the rest on accepting, health checks and refusals). A few run at once (requests
 * that wait on PostgreSQL or a password hash). Those that cannot start within maxQueueWaitMs are refused
 * with 503 and Retry-After, as are those beyond maxQueuedRequests at once; neither has had its body read
 * or its caller authenticated.
 */

export interface LoadSheddingLimits {
  /** Requests served at the same time; 0: no limit (the line then only paces their starts). */
  maxConcurrentRequests: number;
  /** Requests waiting for their turn; beyond, refused at once. */
  maxQueuedRequests: number;
  /** The longest a request waits in that line before it is refused. */
  maxQueueWaitMs: number;
  /** Refuse new requests while the event loop lags more than this (work the line does not see); 0: off. */
  maxEventLoopDelayMs: number;
}

/** The line is full; a request waited maxQueueWaitMs; the event loop lags. */
export type ShedReason = 'queueFull' | 'queueTimeout' | 'eventLoopDelay';

/** Lets a request in now, after a short wait, or not at all. */
export interface Admission {
  /** Called once, when the request may run; it must call release() when its answer is over. */
  admitted(release: () => void): void;
  /** Called once, instead of admitted, when the request is refused. */
  refused(reason: ShedReason): void;
}

/** How the gate waits: the next turn of the event loop, and a deadline (tests drive both by hand). */
export interface GateScheduler {
  /** Milliseconds from any fixed origin. */
  now(): number;
  /** Runs fn after Node has polled its sockets once more (setImmediate). */
  nextTurn(fn: () => void): void;
  /** Runs fn after ms, unless the returned function is called first. */
  after(ms: number, fn: () => void): () => void;
}

export const eventLoopScheduler: GateScheduler = {
  now: () => performance.now(),
  nextTurn: (fn) => setImmediate(fn),
  after: (ms, fn) => {
    const timer = setTimeout(fn, ms);
    return () => clearTimeout(timer);
  },
};

/** The work one turn starts, in ms: past it, requests wait for the next turn (the first always starts). */
export const TURN_BUDGET_MS = 20;
/** A turn longer than this while others waited is followed by a pause as long (see above). */
export const LONG_TURN_MS = 50;

interface Waiting {
  admission: Admission;
  cancelDeadline: () => void;
}

/**
 * The line in front of the API routes: first come, first served; each turn of the event loop starts
 * requests until TURN_BUDGET_MS of it is spent, none for as long as a long turn lasted; at most
 * maxConcurrentRequests running, at most maxQueuedRequests waiting, none waiting longer than maxQueueWaitMs.
 */
export class RequestGate {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  /** When the gate first acted in the current turn; undefined until it does. */
  private turnStartedAt: number | undefined;
  private startsThisTurn = 0;
  /** No start before this time (ms): the thread catches up with connections and health checks. */
  private resumeAt = 0;
  private turnScheduled = false;
  private resumeScheduled = false;

  constructor(
    private readonly limits: LoadSheddingLimits,
    private readonly loopDelayMs: () => number = () => 0,
    private readonly scheduler: GateScheduler = eventLoopScheduler,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Admits, queues or refuses; returns a cancel function for a request whose client left while waiting. */
  enter(admission: Admission): () => void {
    const { maxQueuedRequests, maxQueueWaitMs, maxEventLoopDelayMs } = this.limits;
    if (maxEventLoopDelayMs > 0 && this.loopDelayMs() > maxEventLoopDelayMs) {
      admission.refused('eventLoopDelay');
      return () => {};
    }
    const now = this.scheduler.now();
    if (this.turnStartedAt === undefined) {
      this.turnStartedAt = now;
      this.scheduleTurn();
    }
    if (this.waiting.length === 0 && this.mayStart(now)) {
      this.start(admission);
      return () => {};
    }
    if (this.waiting.length >= maxQueuedRequests) {
      admission.refused('queueFull');
      return () => {};
    }
    // Waiting costs nothing: a client refused at once sends again at once, and refusals fill the turns.
    const entry: Waiting = {
      admission,
      cancelDeadline: this.scheduler.after(maxQueueWaitMs, () => {
        if (this.remove(entry)) admission.refused('queueTimeout');
      }),
    };
    this.waiting.push(entry);
    return () => {
      if (this.remove(entry)) entry.cancelDeadline();
    };
  }

  /** Room for one more, no pause, and this turn's budget not spent (or nothing started yet). */
  private mayStart(now: number): boolean {
    const { maxConcurrentRequests } = this.limits;
    if (maxConcurrentRequests > 0 && this.running >= maxConcurrentRequests) return false;
    if (now < this.resumeAt) return false;
    return this.startsThisTurn === 0 || now - (this.turnStartedAt ?? now) < TURN_BUDGET_MS;
  }

  private start(admission: Admission): void {
    this.running++;
    this.startsThisTurn++;
    let released = false;
    admission.admitted(() => {
      if (released) return;
      released = true;
      this.running--;
      if (this.waiting.length > 0) this.scheduleTurn();
    });
  }

  /**
   * At the end of the turn (after Node polled its sockets): a long turn while others waited sets a pause;
   * a new turn begins, and the first in line start while they may. Nothing is scheduled while nothing can
   * start (a release or the pause's end schedules the next turn): the loop never spins.
   */
  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.scheduler.nextTurn(() => {
      this.turnScheduled = false;
      let now = this.scheduler.now();
      if (this.turnStartedAt !== undefined && this.startsThisTurn > 0 && this.waiting.length > 0) {
        const turnMs = now - this.turnStartedAt;
        // Only while others wait: a lone client's next request is not made to wait for nothing.
        if (turnMs >= LONG_TURN_MS) this.resumeAt = now + turnMs;
      }
      this.turnStartedAt = undefined;
      this.startsThisTurn = 0;
      if (this.waiting.length === 0) return;
      if (now < this.resumeAt) {
        this.resumeLater(this.resumeAt - now);
        return;
      }
      this.turnStartedAt = now;
      while (this.waiting.length > 0 && this.mayStart(now)) {
        const next = this.waiting.shift()!;
        next.cancelDeadline();
        this.start(next.admission);
        now = this.scheduler.now();
      }
      // The turn that just started these is measured when it ends.
      if (this.startsThisTurn > 0) this.scheduleTurn();
      else this.turnStartedAt = undefined;
    });
  }

  private resumeLater(ms: number): void {
    if (this.resumeScheduled) return;
    this.resumeScheduled = true;
    this.scheduler.after(ms, () => {
      this.resumeScheduled = false;
      this.scheduleTurn();
    });
  }

  private remove(entry: Waiting): boolean {
    const index = this.waiting.indexOf(entry);
    if (index < 0) return false;
    this.waiting.splice(index, 1);
    return true;
  }
}

/** Counts refusals and logs them at most once per interval, so that logging never adds to the overload. */
export class ShedLog {
  private counts: Partial<Record<ShedReason, number>> = {};
  private total = 0;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly state: () => Record<string, number>,
    private readonly intervalMs = 1000,
  ) {}

  count(reason: ShedReason): void {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    this.total++;
    if (!this.timer) {
      this.timer = setInterval(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes the line for the refusals counted since the last one; the timer stops after a quiet interval. */
  flush(): void {
    if (this.total === 0) {
      this.stop();
      return;
    }
    this.logger.warn(
      { shed: this.total, reasons: this.counts, ...this.state() },
      'overloaded: requests refused with 503',
    );
    this.counts = {};
    this.total = 0;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The event loop delay (ms) over the last sampling window; start() before reading, stop() at close. */
export class EventLoopDelay {
  private readonly histogram = monitorEventLoopDelay({ resolution: 10 });
  private timer: ReturnType<typeof setInterval> | undefined;
  private latestMs = 0;

  constructor(private readonly windowMs = 500) {}

  start(): void {
    this.histogram.enable();
    this.timer = setInterval(() => {
      // The histogram's floor is its resolution: what is above it is delay.
      this.latestMs = Math.max(0, this.histogram.max / 1e6 - 10);
      this.histogram.reset();
    }, this.windowMs);
    this.timer.unref();
  }

  get ms(): number {
    return this.latestMs;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }
}

export const OVERLOADED_MESSAGE = 'The service is busy. Try again in a moment.';

/** The requests that wait in the line: the API's. The health check and the web client's files never do. */
const API_PATH = /^\/(graphql|api)(\/|\?|$)/i;

/** The bodies of a refusal, in each route's error shape, serialized once: a refusal must cost nothing. */
function overloadedBodies(retryAfterSeconds: number): { graphql: Buffer; plain: Buffer } {
  const details = { code: 'INTERNAL_SERVER_ERROR', reason: 'OVERLOADED', retryAfterSeconds } as const;
  const plain: HttpErrorBody = { error: { ...details, message: OVERLOADED_MESSAGE } };
  return {
    graphql: Buffer.from(JSON.stringify({ errors: [{ message: OVERLOADED_MESSAGE, extensions: details }] })),
    plain: Buffer.from(JSON.stringify(plain)),
  };
}

/**
 * The server's request listener: API requests pass through the gate before Express sees them (no
 * routing, body parsing or authentication for a refusal); admitted ones hold their place until their
 * response is over or their client is gone. Everything else goes straight to the app.
 */
export function withLoadShedding(
  gate: RequestGate,
  shedLog: Pick<ShedLog, 'count'>,
  retryAfterSeconds: number,
  app: RequestListener,
): RequestListener {
  const bodies = overloadedBodies(retryAfterSeconds);
  return (req, res) => {
    const url = req.url ?? '/';
    if (!API_PATH.test(url)) {
      app(req, res);
      return;
    }
    const cancel = gate.enter({
      admitted(release) {
        res.once('close', release);
        app(req, res);
      },
      refused(reason) {
        shedLog.count(reason);
        if (res.headersSent || res.destroyed) return;
        const body = /^\/graphql/i.test(url) ? bodies.graphql : bodies.plain;
        res.writeHead(503, {
          'Retry-After': String(retryAfterSeconds),
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': body.length,
          'Cache-Control': 'no-store',
          'X-Content-Type-Options': 'nosniff',
        });
        res.end(body);
      },
    });
    // A client that leaves while its request waits frees its place in the line.
    res.once('close', cancel);
  };
}

/**
 * The database's health for /healthz, without waiting in line: the write probe takes its turn behind the
 * requests, so when it is not done within waitMs the probe's last answer stands in for it. A load
 * balancer's check must not time out because the service is busy; a fault is still reported, a probe later.
 */
export function promptHealth(
  check: () => Promise<DatabaseHealth>,
  waitMs: number,
): () => Promise<DatabaseHealth> {
  let last: DatabaseHealth | undefined;
  return async () => {
    const probe = check().then((health) => (last = health));
    const known = last;
    if (!known) return probe;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<DatabaseHealth>((resolve) => {
      timer = setTimeout(() => resolve(known), waitMs);
    });
    try {
      return await Promise.race([probe, late]);
    } finally {
      clearTimeout(timer);
    }
  };
}
