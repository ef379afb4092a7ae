import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DatabaseHealth } from '../database/data-source';
import type { HttpErrorBody } from './http-errors';

/*
 * Load shedding at the edge. Node runs every request on one thread, and a request on SQLite runs for tens
 * of milliseconds without giving the thread back (the driver is synchronous). Node accepts one new
 * connection per turn of its event loop (libuv#3696), and reads /healthz between turns: when hundreds of
 * requests are ready at once, a turn lasts seconds, new connections wait unaccepted and health checks
 * time out. So the API's requests wait in a line of ours instead, where they can be counted and timed:
 * - A turn runs requests for TURN_BUDGET_MS (at least one), one after the other: the next starts when one
 *   ends, then the gate yields (setImmediate) and Node polls its sockets (accepts, reads /healthz) before
 *   the next turn. The thread never idles while requests wait: under overload it serves at capacity.
 * - A few run at once (requests that wait on PostgreSQL or a password hash): maxConcurrentRequests.
 * - The line is first come, first served, and a burst may wait up to maxQueueWaitMs. When more wait than
 *   the gate can start within that at its recent pace (sustained overload, a "standing queue" in CoDel's
 *   words), it serves the newest first and refuses whoever waited a quarter of it (Facebook's
 *   adaptive LIFO with a CoDel-style short deadline): those served are served fast instead of after a long
 *   wait, the excess is refused in a fraction of a second.
 * - Past maxQueuedRequests waiting, refused at once. A refusal is a 503 with Retry-After, before the body
 *   is read or the caller authenticated.
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

/** The work one turn runs, in ms: past it, requests wait for the next turn (a turn always starts one). */
export const TURN_BUDGET_MS = 20;
/**
 * A line longer than the gate can start within maxQueueWaitMs, at the pace it has been starting requests,
 * is a standing queue: sustained overload, where some will be refused anyway. Then the newest are served
 * first, and none waits longer than this share of maxQueueWaitMs (default 1000: 250 ms). Shorter refuses sooner, but a client that ignores
 * Retry-After sends again at once: with 500 of them on the heavy page, 50 ms served 3 times fewer pages
 * than 250 ms (the thread busy refusing), 1000 ms 1.3 times more (refusals in a second).
 */
export const STANDING_QUEUE_WAIT_SHARE = 0.25;
/** The gate's pace (time per start) is measured over this much time with requests waiting throughout. */
export const PACE_WINDOW_MS = 100;

interface Waiting {
  admission: Admission;
  /** When it joined the line (scheduler time). */
  since: number;
  cancelDeadline: () => void;
}

/**
 * The line in front of the API routes (see above): each turn of the event loop runs requests one after
 * the other until TURN_BUDGET_MS of it is spent; at most maxConcurrentRequests running, at most
 * maxQueuedRequests waiting, none waiting longer than maxQueueWaitMs, or a quarter of it once the
 * line is a standing queue (then served newest first).
 */
export class RequestGate {
  private running = 0;
  /** In the order they came: the oldest first. */
  private readonly waiting: Waiting[] = [];
  /** Time per start from the line (ms) over the last full window, 0 before the first. */
  private startInterval = 0;
  /** The current window: since when requests waited throughout, and the starts counted since. */
  private windowStartedAt: number | undefined;
  private windowStarts = 0;
  /** When the gate first acted in the current turn; undefined until it does. */
  private turnStartedAt: number | undefined;
  private startsThisTurn = 0;
  private turnScheduled = false;
  /** A connection was accepted since the last turn began (connectionAccepted). */
  private accepted = false;
  /** When the current run of turns left to accepting connections began. */
  private acceptingSince: number | undefined;

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

  /**
   * The server accepted a connection (its 'connection' event). Node accepts one per turn of the event
   * loop, so while connections keep coming, the next turns start no request, for up to TURN_BUDGET_MS in
   * a row: a burst of new connections is accepted in milliseconds, not at one per request served.
   */
  connectionAccepted(): void {
    this.accepted = true;
  }

  /** Admits, queues or refuses; returns a cancel function for a request whose client left while waiting. */
  enter(admission: Admission): () => void {
    const { maxQueuedRequests, maxQueueWaitMs, maxEventLoopDelayMs } = this.limits;
    if (maxEventLoopDelayMs > 0 && this.loopDelayMs() > maxEventLoopDelayMs) {
      admission.refused('eventLoopDelay');
      return () => {};
    }
    const now = this.scheduler.now();
    this.joinTurn(now);
    this.expire(now);
    // The line is empty: idle time is no pace, a new window opens at the next start from the line.
    if (this.waiting.length === 0) this.windowStartedAt = undefined;
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
      since: now,
      cancelDeadline: this.scheduler.after(maxQueueWaitMs, () => {
        if (this.remove(entry)) admission.refused('queueTimeout');
      }),
    };
    this.waiting.push(entry);
    return () => {
      if (this.remove(entry)) entry.cancelDeadline();
    };
  }

  /** The longest wait in a standing queue. */
  private get standingWaitMs(): number {
    return this.limits.maxQueueWaitMs * STANDING_QUEUE_WAIT_SHARE;
  }

  /**
   * More are waiting than the gate starts within maxQueueWaitMs at its recent pace (Little's law): first
   * come first served, the last in line would be refused anyway. A few clients more than the places (ten
   * clients, four places) wait a little each and are all served; hundreds are a standing queue.
   */
  private standing(): boolean {
    return this.waiting.length * this.startInterval > this.limits.maxQueueWaitMs;
  }

  /** Refuses those that waited too long in a standing queue (the deadline timers cover maxQueueWaitMs). */
  private expire(now: number): void {
    if (!this.standing()) return; // the deadline timers cover the rest
    const limit = this.standingWaitMs;
    while (this.waiting.length > 0 && now - this.waiting[0].since >= limit) {
      const oldest = this.waiting.shift()!;
      oldest.cancelDeadline();
      oldest.admission.refused('queueTimeout');
    }
  }

  /** Room for one more, and this turn's budget not spent (or nothing started yet). */
  private mayStart(now: number): boolean {
    const { maxConcurrentRequests } = this.limits;
    if (maxConcurrentRequests > 0 && this.running >= maxConcurrentRequests) return false;
    return this.startsThisTurn === 0 || now - (this.turnStartedAt ?? now) < TURN_BUDGET_MS;
  }

  /** The next to start: the oldest, or the newest in a standing queue (it has the best chance to be useful). */
  private next(now: number): Waiting {
    const next = this.standing() ? this.waiting.pop()! : this.waiting.shift()!;
    next.cancelDeadline();
    // The line's pace: starts from it per PACE_WINDOW_MS, as fast as places free up.
    if (this.windowStartedAt === undefined) {
      this.windowStartedAt = now;
      this.windowStarts = 0;
    } else {
      this.windowStarts++;
      if (now - this.windowStartedAt >= PACE_WINDOW_MS) {
        this.startInterval = (now - this.windowStartedAt) / this.windowStarts;
        this.windowStartedAt = now;
        this.windowStarts = 0;
      }
    }
    return next;
  }

  private start(admission: Admission): void {
    this.running++;
    this.startsThisTurn++;
    let released = false;
    admission.admitted(() => {
      if (released) return;
      released = true;
      this.running--;
      if (this.waiting.length === 0) return;
      // Work-conserving: the next one starts as soon as this one is over, while the turn's budget lasts.
      const now = this.scheduler.now();
      this.joinTurn(now);
      this.expire(now);
      if (this.waiting.length > 0 && this.mayStart(now)) this.start(this.next(now).admission);
      else if (this.waiting.length > 0) this.scheduleTurn();
    });
  }

  /** The gate's first act in a turn opens it; the turn ends when Node has polled its sockets again. */
  private joinTurn(now: number): void {
    if (this.turnStartedAt !== undefined) return;
    this.turnStartedAt = now;
    this.startsThisTurn = 0;
    this.scheduleTurn();
  }

  /**
   * After Node polled its sockets: a turn that accepted a connection leaves the next turn to accepting
   * too (see connectionAccepted); otherwise a new turn starts the next in line (one: a request runs after
   * this callback returns, so its cost is known only when it releases, and the next starts there).
   * Nothing is scheduled while nothing can start (a release schedules the next turn): the loop never spins.
   */
  private scheduleTurn(): void {
    if (this.turnScheduled) return;
    this.turnScheduled = true;
    this.scheduler.nextTurn(() => {
      this.turnScheduled = false;
      this.turnStartedAt = undefined;
      this.startsThisTurn = 0;
      if (this.waiting.length === 0) return;
      const now = this.scheduler.now();
      if (this.accepted) {
        this.accepted = false;
        this.acceptingSince ??= now;
        if (now - this.acceptingSince < TURN_BUDGET_MS) {
          this.scheduleTurn(); // one more turn to accept the next connection, if there is one
          return;
        }
      }
      this.acceptingSince = undefined;
      this.expire(now);
      if (this.waiting.length === 0 || !this.mayStart(now)) return;
      this.joinTurn(now);
      this.start(this.next(now).admission);
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
 * response is written (res.end, or leaveLine for an upload's body) or their client is gone. Everything
 * else goes straight to the app.
 */
export function withLoadShedding(
  gate: RequestGate,
  shedLog: Pick<ShedLog, 'count'>,
  retryAfterSeconds: number,
  app: RequestListener,
): RequestListener {
  const bodies = overloadedBodies(retryAfterSeconds);
  return (req, res) => {
    const url = pathOf(req.url);
    if (!API_PATH.test(url)) {
      app(req, res);
      return;
    }
    // A place in the line is taken once the request's body has arrived: a client that sends its body
    // slowly (or never) holds a socket, not one of the few places where requests run.
    whenBodyArrived(req, () => {
      if (res.destroyed) return;
      enterLine(url, req, res);
    });
  };

  function enterLine(url: string, req: IncomingMessage, res: ServerResponse): void {
    const cancel = gate.enter({
      admitted(release) {
        res.once('close', release);
        places.set(req, release);
        releaseOnceWritten(res, release);
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
  }
}

/**
 * The path of a request line, also in its absolute form (`POST http://host/graphql HTTP/1.1`), which
 * Express routes by its path too: the line must see what the router sees.
 */
export function pathOf(target: string | undefined): string {
  const raw = target ?? '/';
  if (raw.startsWith('/')) return raw;
  try {
    const { pathname, search } = new URL(raw);
    return `${pathname}${search}`;
  } catch {
    return raw;
  }
}

/** An answer written but not read by its client for this long is cut off (its memory freed). */
export const UNREAD_ANSWER_TIMEOUT_MS = 30_000;

/**
 * Once the whole answer is handed to Node (res.end), sending it waits on the client alone: the place goes
 * back to the line then, not when the client has read it all, since a client that never reads a large
 * answer (a page of tickets, a file) held a place as long as it liked. It has UNREAD_ANSWER_TIMEOUT_MS
 * of silence to read it before the socket is closed.
 */
function releaseOnceWritten(res: ServerResponse, release: () => void): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.end = ((...args: unknown[]) => {
    const result = end(...args);
    release();
    if (!res.writableFinished) res.setTimeout(UNREAD_ANSWER_TIMEOUT_MS, () => res.destroy());
    return result;
  }) as ServerResponse['end'];
}

/** The place in the line of each admitted request, until its answer is over. */
const places = new WeakMap<IncomingMessage, () => void>();

/**
 * For a route about to wait on its client for longer than the line reads ahead (an upload's body): its
 * place goes back to the line at once, so a few clients that stall mid-body cannot hold every place
 * where requests run. The route bounds such reads itself (per caller). No-op without load shedding.
 */
export function leaveLine(req: IncomingMessage): void {
  places.get(req)?.();
  places.delete(req);
}

/** How much of a body is read before the line (the API's JSON bodies are at most 100 kB). */
export const BODY_READ_AHEAD_BYTES = 1024 * 1024;

/**
 * Calls then once the request's body has arrived (at once when it has none), leaving it unread for the
 * routes: what was read ahead is put back in front of the stream before its end is signalled. A body
 * larger than BODY_READ_AHEAD_BYTES goes on after that much (the routes' own limits and streaming apply);
 * a client that leaves never calls then.
 */
export function whenBodyArrived(req: IncomingMessage, then: () => void): void {
  const length = req.headers['content-length'];
  const hasBody = req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
  if (!hasBody || req.complete) {
    then();
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    req.off('readable', onReadable);
    req.off('error', onGone);
    req.off('close', onGone);
    if (chunks.length > 0) req.unshift(Buffer.concat(chunks));
    then();
  };
  const onGone = () => {
    done = true;
    req.off('readable', onReadable);
  };
  const onReadable = () => {
    let chunk: Buffer | null;
    while (!done && (chunk = req.read() as Buffer | null) !== null) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= BODY_READ_AHEAD_BYTES) finish();
    }
    // After the last chunk, the parser has seen the whole message; the end is not emitted while the
    // chunks put back are unread.
    if (!done && (req.complete || req.readableEnded)) finish();
  };
  req.on('readable', onReadable);
  req.once('error', onGone);
  req.once('close', onGone);
}

/**
 * A write probe still running after this long is itself the answer: the database cannot take a write.
 * A probe waits for another process's lock up to LOCK_WAIT_MS (5 s) and then fails on its own; a hung
 * PostgreSQL server or a cut network never answers, and its last "ok" must not stand in forever.
 */
export const PROBE_STUCK_MS = 10_000;

/**
 * The database's health for /healthz, without waiting in line: the write probe takes its turn behind the
 * requests, so when it is not done within waitMs the probe's last answer stands in for it. A load
 * balancer's check must not time out because the service is busy; a fault is still reported, a probe later.
 * While `busy` says requests wait in line, the last answer is given at once and the probe runs on: a
 * timer of waitMs fires only after the current turn of requests and the sockets polled after it, which
 * doubled the check's time under overload (issue 11: max 206 ms where the event loop's turns took 90).
 * A probe running for stuckMs is a fault, whatever the last answer was (and the first check waits no
 * longer than that).
 */
export function promptHealth(
  check: () => Promise<DatabaseHealth>,
  waitMs: number,
  busy: () => boolean = () => false,
  stuckMs = PROBE_STUCK_MS,
): () => Promise<DatabaseHealth> {
  let last: DatabaseHealth | undefined;
  // One probe at a time: a flood of health checks shares the probe in flight instead of queueing writes.
  let inFlight: Promise<DatabaseHealth> | undefined;
  let since = 0;
  const stuck = (): DatabaseHealth => ({
    ok: false,
    detail: `the write probe has not finished for ${Math.round((Date.now() - since) / 1000)} s`,
  });
  return async () => {
    if (!inFlight) {
      since = Date.now();
      inFlight = started(check)
        // A probe that throws (the file's status unreadable: EIO, EACCES) is a fault too, and the answer
        // of the checks after it, busy or not; it never rejects, so a check that does not wait loses nothing.
        .catch((error: unknown): DatabaseHealth => ({
          ok: false,
          detail: `the write probe failed (${codeOf(error)})`,
        }))
        .then((health) => (last = health))
        .finally(() => (inFlight = undefined));
    }
    const probe = inFlight;
    const left = stuckMs - (Date.now() - since);
    if (left <= 0) return stuck();
    const known = last;
    if (!known) return answerWithin(probe, stuck, left);
    // Requests wait in line: the last answer at once; the probe runs on for the next check.
    if (busy()) return known;
    return answerWithin(probe, () => known, Math.min(waitMs, left));
  };
}

/** The check's promise, or its synchronous throw as a rejection. */
function started(check: () => Promise<DatabaseHealth>): Promise<DatabaseHealth> {
  try {
    return check();
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The probe's answer, or the fallback's if the probe takes longer than waitMs. */
async function answerWithin(
  probe: Promise<DatabaseHealth>,
  fallback: () => DatabaseHealth,
  waitMs: number,
): Promise<DatabaseHealth> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<DatabaseHealth>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), waitMs);
  });
  try {
    return await Promise.race([probe, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A system error's code (EIO…), never its message: /healthz is public. */
function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,40}$/.test(code) ? code : 'error';
}
