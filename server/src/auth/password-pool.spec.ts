import bcrypt from 'bcryptjs';
import { PasswordPool } from './password-pool';

describe('PasswordPool: bcrypt on worker threads', () => {
  const pool = new PasswordPool(2);
  afterAll(() => pool.close());

  test('its hashes are bcryptjs hashes, and it checks bcryptjs hashes', async () => {
    const hash = await pool.hash('correct horse battery staple', 4);
    expect(hash).toMatch(/^\$2[aby]\$04\$/);
    expect(bcrypt.compareSync('correct horse battery staple', hash)).toBe(true);
    const theirs = bcrypt.hashSync('another one, quite long', 4);
    await expect(pool.compare('another one, quite long', theirs)).resolves.toBe(true);
    await expect(pool.compare('another one, quite lonG', theirs)).resolves.toBe(false);
    // Not a bcrypt hash (an imported account that must reset its password): never a match.
    await expect(pool.compare('anything', '!imported')).resolves.toBe(false);
  });

  test('many at once all answer, each with its own result', async () => {
    const passwords = Array.from({ length: 12 }, (_, n) => `password number ${n}`);
    const hashes = await Promise.all(passwords.map((password) => pool.hash(password, 4)));
    const checks = await Promise.all(
      passwords.map((password, n) => pool.compare(password, hashes[(n + (n % 2)) % passwords.length])),
    );
    expect(checks).toEqual(passwords.map((_, n) => n % 2 === 0));
  });

  test('the main thread goes on while bcrypt works: timers fire during two hashes of cost 12', async () => {
    let ticks = 0;
    const timer = setInterval(() => (ticks += 1), 5);
    try {
      const started = performance.now();
      await Promise.all([pool.hash('first password here', 12), pool.hash('second password here', 12)]);
      const took = performance.now() - started;
      // bcryptjs on this thread would have held it for all of that time (or in 100 ms slices).
      expect(took).toBeGreaterThan(100);
      expect(ticks).toBeGreaterThan(took / 5 / 4);
    } finally {
      clearInterval(timer);
    }
  });

  test('a task bcryptjs refuses is an error for that task only, and the pool keeps working', async () => {
    await expect(pool.compare('some password', 42 as unknown as string)).rejects.toThrow(/^bcrypt: Illegal/);
    await expect(pool.hash('some password', 4)).resolves.toMatch(/^\$2/);
  });

  test('a worker that dies fails its tasks, and the next task gets a new worker', async () => {
    const lone = new PasswordPool(1);
    try {
      await lone.hash('warm the worker up', 4);
      const worker = (lone as unknown as { workers: { worker: { terminate(): Promise<number> } }[] })
        .workers[0];
      const pending = lone.hash('this one is lost', 12);
      await worker.worker.terminate();
      await expect(pending).rejects.toThrow(/exited/);
      await expect(lone.compare('after', bcrypt.hashSync('after', 4))).resolves.toBe(true);
    } finally {
      await lone.close();
    }
  });
});
