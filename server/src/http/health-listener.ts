import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { DatabaseHealth } from '../database/data-source';

/*
 * /healthz on a port of its own (HEALTH_PORT), answered by a worker thread, with /livez beside it.
 *
 * On the service's port, a check shares the event loop with the API: Node accepts one connection per turn
 * of the loop, and under overload a turn runs about 20 ms of requests, so a check whose connection
 * arrived with a burst of 500 others waited behind them (issue 11: up to 168 ms, where the goal is 100).
 * Here a worker thread listens and answers, with its own event loop, and the service's thread only has
 * to answer the worker's question "can the database take a write?" between two of its turns:
 * - A check asks the service for a fresh probe and waits up to waitMs for it; a busy service's last
 *   answer (at most staleMs old) stands in for it, as on the service's port.
 * - The service's thread tells the worker it is alive every BEAT_MS. If it has said nothing for stallMs
 *   (a synchronous task holding the thread, an endless loop), the check answers 503 "stalled": a port
 *   that answers while the service cannot is worse than none.
 * - /livez says only that: 503 stalled, or 200. A liveness probe that restarts the service must not fire
 *   because the database is down (restarting does not bring it back), which /healthz reports.
 */

/** How often the service's thread tells the health worker it is turning. */
export const BEAT_MS = 250;

export interface HealthListenerOptions {
  port: number;
  host: string;
  /** The database's health, as /healthz on the service's port reports it (promptHealth). */
  probe: () => Promise<DatabaseHealth>;
  logger: Pick<Logger, 'error' | 'warn'>;
  /** How long a check waits for a fresh probe before the last one stands in. */
  waitMs?: number;
  /** The service's thread silent this long: 503 stalled. */
  stallMs?: number;
  /** The oldest probe answer that may stand in for a fresh one. */
  staleMs?: number;
  /** Connections one client address may hold open at once; more are closed as they come. */
  maxConnectionsPerAddress?: number;
}

/** A supervisor makes one check at a time; a few more leave room for a load balancer's several probes. */
export const MAX_CONNECTIONS_PER_ADDRESS = 16;

export interface HealthListener {
  /** http://host:port of the health listener. */
  readonly url: string;
  readonly port: number;
  /** Stops answering: the port is closed when this resolves. */
  close(): Promise<void>;
}

/** http://address:port of a listening server, as a client on this machine reaches it (0.0.0.0: 127.0.0.1). */
export function listeningUrl(address: { address: string; family: string; port: number }): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`;
}

/** The listener could not start (EADDRINUSE…): the operator fixes it with HEALTH_PORT or HOST. */
export class HealthListenError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

type FromWorker =
  | { type: 'listening'; port: number; address: string; family: string }
  | { type: 'listen-error'; code: string; message: string }
  | { type: 'error'; code: string; message: string }
  | { type: 'probe' }
  | { type: 'closed' };

/* The worker, as text so that it runs alike from the build and from the sources under test (as in
 * auth/password-pool.ts). Node's own modules only. */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { host, port, waitMs, stallMs, staleMs, maxPerAddress } = workerData;

let beatAt = Date.now();
let last;          // the last probe answer: { ok: true } or { ok: false, detail }
let lastAt = 0;    // when it arrived
let generation = 0;
let askedAt;       // when the probe in flight was asked for, undefined when none is
const waiters = new Set();

parentPort.on('message', (message) => {
  beatAt = Date.now();
  if (message.type === 'health') {
    last = message.health;
    lastAt = Date.now();
    generation += 1;
    askedAt = undefined;
    for (const wake of waiters) wake();
    waiters.clear();
  } else if (message.type === 'close') {
    server.close(() => parentPort.postMessage({ type: 'closed' }));
    server.closeAllConnections();
  }
});

function ask() {
  // One probe in flight; asked again only if the service let the last question go unanswered.
  if (askedAt !== undefined && Date.now() - askedAt < stallMs) return;
  askedAt = Date.now();
  parentPort.postMessage({ type: 'probe' });
}

/** Resolves at the next probe answer, or after ms. */
function nextAnswer(ms) {
  return new Promise((resolve) => {
    const wake = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(wake);
      resolve();
    }, ms);
    waiters.add(wake);
  });
}

function stalled() {
  const silent = Date.now() - beatAt;
  return silent > stallMs
    ? { ok: false, reason: 'stalled', detail: 'the service has not turned its event loop for ' + silent + ' ms' }
    : undefined;
}

async function health() {
  const seen = generation;
  const asked = Date.now();
  ask();
  await nextAnswer(waitMs);
  if (generation !== seen) return last;
  const stall = stalled();
  if (stall) return stall;
  if (last && Date.now() - lastAt <= staleMs) return last;
  // No recent answer (the first check, or none for staleMs) from a service that still turns: wait for it,
  // up to stallMs from the question, unless the service stops turning meanwhile.
  const deadline = asked + stallMs;
  while (generation === seen && Date.now() < deadline && !stalled()) {
    await nextAnswer(Math.max(1, Math.min(deadline - Date.now(), stallMs - (Date.now() - beatAt) + 1)));
  }
  if (generation !== seen) return last;
  return stalled() || { ok: false, reason: 'stalled', detail: 'the service did not answer the health probe within ' + stallMs + ' ms' };
}

function send(res, status, body, head) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(head ? undefined : text);
}

/** The path as the service's port matches it: absolute form, case and a trailing slash do not matter. */
function pathOf(url) {
  try {
    return new URL(url || '', 'http://health').pathname.toLowerCase().replace(/\\/+$/, '');
  } catch {
    return '';
  }
}

// Timeouts checked every second (Node's default: every 30 s), so a slow or idle client is cut in 5 s.
const server = http.createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
  const path = pathOf(req.url);
  if (path !== '/healthz' && path !== '/livez') {
    send(res, 404, { status: 'not found', detail: 'this port answers GET /healthz and GET /livez only' });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    send(res, 405, { status: 'method not allowed', detail: 'GET ' + path });
    return;
  }
  if (path === '/livez') {
    // Alive: the service's thread turns. The database is /healthz's business (a restart does not mend it).
    const stall = stalled();
    if (stall) send(res, 503, { status: 'unavailable', reason: stall.reason, detail: stall.detail }, req.method === 'HEAD');
    else send(res, 200, { status: 'ok' }, req.method === 'HEAD');
    return;
  }
  health().then(
    (result) => {
      if (res.destroyed) return;
      if (result.ok) send(res, 200, { status: 'ok' }, req.method === 'HEAD');
      else
        send(
          res,
          503,
          { status: 'unavailable', reason: result.reason || 'database', detail: result.detail },
          req.method === 'HEAD',
        );
    },
    () =>
      send(
        res,
        503,
        { status: 'unavailable', reason: 'stalled', detail: 'the health check failed' },
        req.method === 'HEAD',
      ),
  );
});
// A health port holds few connections, briefly: a slow or idle client is cut off, and one address
// cannot hold more than a few, so that it cannot take the port from the supervisor's checks.
server.headersTimeout = 5000;
server.requestTimeout = 5000;
server.keepAliveTimeout = 5000;
const perAddress = new Map();
server.on('connection', (socket) => {
  const address = socket.remoteAddress || '';
  const open = perAddress.get(address) || 0;
  if (open >= maxPerAddress) {
    socket.destroy();
    return;
  }
  perAddress.set(address, open + 1);
  socket.once('close', () => {
    const left = perAddress.get(address) - 1;
    if (left > 0) perAddress.set(address, left);
    else perAddress.delete(address);
  });
});
let listening = false;
server.on('error', (error) => {
  const code = String(error.code || 'error');
  parentPort.postMessage({ type: listening ? 'error' : 'listen-error', code, message: error.message });
});
server.listen(port, host, () => {
  listening = true;
  const address = server.address();
  parentPort.postMessage({ type: 'listening', port: address.port, address: address.address, family: address.family });
});
`;

/**
 * Starts the health worker on options.port and resolves once it listens; rejects with HealthListenError
 * when it cannot (the port in use, an address this machine does not have).
 */
export async function startHealthListener(options: HealthListenerOptions): Promise<HealthListener> {
  const { probe, logger } = options;
  const workerData = {
    host: options.host,
    port: options.port,
    waitMs: options.waitMs ?? 20,
    stallMs: options.stallMs ?? 2000,
    staleMs: options.staleMs ?? 10_000,
    maxPerAddress: options.maxConnectionsPerAddress ?? MAX_CONNECTIONS_PER_ADDRESS,
  };
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData });
  let closing = false;
  let closed: () => void = () => {};
  const whenClosed = new Promise<void>((resolve) => (closed = resolve));
  const beat = setInterval(() => worker.postMessage({ type: 'beat' }), BEAT_MS);
  beat.unref();

  const listening = new Promise<{ port: number; address: string; family: string }>((resolve, reject) => {
    worker.on('message', (message: FromWorker) => {
      switch (message.type) {
        case 'listening':
          resolve(message);
          break;
        case 'listen-error':
          reject(new HealthListenError(message.message, message.code));
          break;
        case 'error':
          // The port keeps listening (a failed accept: too many open files…).
          logger.warn({ code: message.code }, 'the health listener met an error');
          break;
        case 'probe':
          // promptHealth never rejects (a probe that throws is a fault with its code); another probe might.
          void probe()
            .catch((): DatabaseHealth => ({ ok: false, detail: 'the write probe failed (error)' }))
            .then((health) => {
              if (!closing) worker.postMessage({ type: 'health', health });
            });
          break;
        case 'closed':
          closed();
          break;
      }
    });
    worker.on('error', (error) => {
      reject(error);
      logger.error({ err: error }, 'the health listener failed: HEALTH_PORT no longer answers');
    });
    worker.on('exit', (code) => {
      clearInterval(beat);
      closed();
      reject(new Error(`the health worker exited (${code}) before it listened`));
      if (!closing) logger.error({ code }, 'the health listener stopped: HEALTH_PORT no longer answers');
    });
  });
  let address: { port: number; address: string; family: string };
  try {
    // Referenced until it listens (nothing else may hold the process yet); then the service's server
    // keeps the process alive, and the health port alone never does. After the listeners: adding one refs.
    address = await listening;
    worker.unref();
  } catch (error) {
    closing = true;
    clearInterval(beat);
    await worker.terminate();
    throw error;
  }
  return {
    url: listeningUrl(address),
    port: address.port,
    async close() {
      if (closing) return whenClosed;
      closing = true;
      clearInterval(beat);
      worker.postMessage({ type: 'close' });
      await whenClosed;
      await worker.terminate();
    },
  };
}
