/**
 * The events of every subscription are executed one per turn of the event loop, in the order they were
 * asked for. The feed hands an event to all its subscribers at once, and each execution runs its
 * resolvers (SQLite answers synchronously) without giving the thread back: hundreds of subscriptions
 * would hold it for as long as all their documents take, with no request, health check or socket read
 * in between. Taking turns, the longest hold is one document's.
 */
export class LiveTurns {
  private readonly waiting: (() => void)[] = [];
  private scheduled = false;

  /** Resolves in a turn of its own, after every earlier caller's turn. */
  take(): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      // The caller's execution runs in this callback's microtasks; the next one waits for the next turn.
      this.waiting.shift()?.();
      this.schedule();
    });
  }
}

/** One line for the whole instance: subscriptions of every socket take turns together. */
export const liveTurns = new LiveTurns();
