import { EventQueue } from './event-queue';

describe('EventQueue', () => {
  test('hands items in order, to a waiting reader or from the queue', async () => {
    const queue = new EventQueue<number>(
      10,
      () => undefined,
      () => undefined,
    );
    const waiting = queue.next();
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(await waiting).toEqual({ value: 1, done: false });
    expect(await queue.next()).toEqual({ value: 2, done: false });
    expect(await queue.next()).toEqual({ value: 3, done: false });
  });

  test('return() ends it once: a pending read finishes, later pushes are dropped', async () => {
    const ended = jest.fn();
    const queue = new EventQueue<number>(10, ended, () => undefined);
    const pending = queue.next();
    await queue.return();
    await queue.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    queue.push(4);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
    expect(ended).toHaveBeenCalledTimes(1);
  });

  test('a reader that falls behind past its capacity is ended and reported', async () => {
    const overflow = jest.fn();
    const queue = new EventQueue<number>(2, () => undefined, overflow);
    queue.push(1);
    queue.push(2);
    queue.push(3);
    expect(overflow).toHaveBeenCalledTimes(1);
    expect(queue.done).toBe(true);
    expect(await queue.next()).toEqual({ value: undefined, done: true });
  });
});
