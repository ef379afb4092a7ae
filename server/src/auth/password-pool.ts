import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/*
 * bcrypt on worker threads. A bcrypt of cost 12 is about a quarter of a second of CPU, and bcryptjs ran it
 * on the service's only thread: 40 wrong logins sent at once held every other request, /healthz included,
 * for 14 s (the attacker pass of issue 11). Here the main thread only posts the work and waits.
 *
 * The workers run bcryptjs itself (the same hashes, the same comparison), from code given as text so that
 * it runs alike from the build, from the sources under test and from an installed package. A worker is
 * referenced only while it has work: an idle pool keeps no process alive, and a command that hashes a
 * password and exits is not cut short.
 */

type Task =
  { op: 'hash'; password: string; cost: number } | { op: 'compare'; password: string; hash: string };

interface Pending {
  resolve: (value: string | boolean) => void;
  reject: (error: Error) => void;
}

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const bcrypt = require(${JSON.stringify(require.resolve('bcryptjs'))});
parentPort.on('message', ({ id, task }) => {
  try {
    const result = task.op === 'hash'
      ? bcrypt.hashSync(task.password, task.cost)
      : bcrypt.compareSync(task.password, task.hash);
    parentPort.postMessage({ id, result });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  }
});
`;

class PasswordWorker {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private gone = false;

  constructor(private readonly onGone: (worker: PasswordWorker) => void) {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on('message', (message: { id: number; result?: string | boolean; error?: string }) => {
      const pending = this.pending.get(message.id);
      if (!pending) return;
      this.settled(message.id);
      if (message.error !== undefined) pending.reject(new Error(`bcrypt: ${message.error}`));
      else pending.resolve(message.result!);
    });
    // A worker that fails or exits takes its tasks with it; the pool starts another for the next ones.
    const fail = (error: Error) => this.fail(error);
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => this.fail(new Error(`bcrypt worker exited (${code})`)));
  }

  get load(): number {
    return this.pending.size;
  }

  run(task: Task): Promise<string | boolean> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, task });
    });
  }

  close(): Promise<number> {
    this.gone = true;
    return this.worker.terminate();
  }

  private settled(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) pending.reject(error);
    if (!this.gone) {
      this.gone = true;
      this.onGone(this);
    }
  }
}

/** A few bcrypt workers, made on first use; each task goes to the least busy one. */
export class PasswordPool {
  private readonly workers: PasswordWorker[] = [];

  constructor(
    /** One thread is left to the service itself. */
    private readonly size = Math.max(1, Math.min(4, availableParallelism() - 1)),
  ) {}

  hash(password: string, cost: number): Promise<string> {
    return this.pick().run({ op: 'hash', password, cost }) as Promise<string>;
  }

  compare(password: string, hash: string): Promise<boolean> {
    return this.pick().run({ op: 'compare', password, hash }) as Promise<boolean>;
  }

  /** Stops the workers (tests); the pool starts new ones if used again. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    await Promise.all(workers.map((worker) => worker.close()));
  }

  private pick(): PasswordWorker {
    if (this.workers.length < this.size) {
      const idle = this.workers.find((worker) => worker.load === 0);
      if (idle) return idle;
      const worker = new PasswordWorker((gone) => {
        const index = this.workers.indexOf(gone);
        if (index !== -1) this.workers.splice(index, 1);
      });
      this.workers.push(worker);
      return worker;
    }
    return this.workers.reduce((least, worker) => (worker.load < least.load ? worker : least));
  }
}

/** The service's pool. */
export const passwordPool = new PasswordPool();
