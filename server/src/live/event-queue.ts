/**
 * The events of one subscription on their way to its socket: the feed pushes, graphql-js pulls one at a
 * time (for await), in order. Ending it (the client completes, the socket closes) runs onEnd once.
 */
export class EventQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  constructor(
    /** Past this many undelivered events, the subscriber is too slow: overflow() is called, once. */
    private readonly capacity: number,
    private readonly onEnd: () => void,
    private readonly overflow: () => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get done(): boolean {
    return this.ended;
  }

  push(item: T): void {
    if (this.ended) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: item, done: false });
      return;
    }
    if (this.items.length >= this.capacity) {
      this.end();
      this.overflow();
      return;
    }
    this.items.push(item);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) return Promise.resolve({ value: this.items.shift()!, done: false });
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  /** Stops the subscription: what is queued is dropped, a pending next() finishes. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.items.length = 0;
    const resolve = this.waiting;
    this.waiting = undefined;
    resolve?.({ value: undefined, done: true });
    this.onEnd();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
