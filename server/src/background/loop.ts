import { AsyncLocalStorage } from 'node:async_hooks';
import { queryCountingEnabled } from '../database/query-counter';

const backgroundWork = new AsyncLocalStorage<true>();

/** Whether the caller runs in a background step (its SQL belongs to no request): tests tell it apart. */
export function isBackgroundWork(): boolean {
  return backgroundWork.getStore() === true;
}

/** Marked only when SQL is counted per request: the mark, an async context, is what tells them apart. */
function asBackgroundWork<T>(work: () => Promise<T>): Promise<T> {
  return queryCountingEnabled() ? backgroundWork.run(true, work) : work();
}

export interface BackgroundLoopOptions {
  /** Runs the step this often even when nobody nudges (due retries, a consumer that failed). */
  intervalMs: number;
  /** Nudges closer together than this make one run (a burst of commits wakes the step once). */
  debounceMs: number;
  /** A step that throws is reported here; the loop goes on at the next nudge or tick. */
  onError(error: unknown): void;
}

/**
 * Runs a step in the background when nudged (debounced) and every intervalMs, never two at once, and
 * stops cleanly: stop() lets the run in progress finish. The step returns true while it has more to
 * do right away (a full batch), and is then called again at once.
 */
export class BackgroundLoop {
  /** Every run, and every exclusive call, is chained here: one at a time, in order. */
  private chain: Promise<unknown> = Promise.resolve();
  /** A run that is queued but has not started: later nudges join it. */
  private queued: Promise<void> | undefined;
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private stopped = false;
  /**
   * The async context of the loop's creation (the start-up), for its timers: a nudge comes from a commit
   * inside a request, and the work it starts must not be counted as that request's (its SQL tally).
   */
  private readonly inOwnContext = AsyncLocalStorage.snapshot();

  constructor(
    private readonly step: () => Promise<boolean>,
    private readonly options: BackgroundLoopOptions,
  ) {}

  get stopping(): boolean {
    return this.stopped;
  }

  /** Runs once now, then on every tick. */
  start(): void {
    if (this.stopped || this.interval) return;
    // unref: the loop alone never keeps the process alive; the HTTP server does.
    this.interval = setInterval(() => void this.run(), this.options.intervalMs).unref();
    void this.run();
  }

  /** Something changed (a commit): run soon. */
  nudge(): void {
    if (this.stopped || this.debounce) return;
    this.debounce = this.inOwnContext(() =>
      setTimeout(() => {
        this.debounce = undefined;
        void this.run();
      }, this.options.debounceMs).unref(),
    );
  }

  /** Queues a run after the one in progress (if any); resolves when it has run to the end of its work. */
  run(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.queued) return this.queued;
    const run = this.chain.then(async () => {
      this.queued = undefined;
      while (!this.stopped && (await this.safeStep()));
    });
    this.queued = run;
    this.chain = run;
    return run;
  }

  /** Runs work in the loop's turn, never beside a step (tests: one step on demand). */
  exclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = this.chain.then(() => asBackgroundWork(work));
    this.chain = result.catch(() => undefined);
    return result;
  }

  /** No new run starts; the one in progress finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.interval);
    clearTimeout(this.debounce);
    this.interval = undefined;
    this.debounce = undefined;
    await this.chain.catch(() => undefined);
  }

  private async safeStep(): Promise<boolean> {
    try {
      return await asBackgroundWork(this.step);
    } catch (error) {
      this.options.onError(error);
      return false;
    }
  }
}
