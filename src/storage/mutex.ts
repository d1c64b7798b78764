/**
 * Bounded asynchronous mutual exclusion, and a keyed variant whose entries disappear when idle.
 *
 * Storage uses a {@link KeyedMutex} per partition (so a blob is never opened while it is being
 * created, removed or atomically replaced). Waiters are bounded: past {@link MUTEX_WAITERS_MAX} a
 * new waiter is refused with `ERR_LIMIT_EXCEEDED` rather than letting the queue grow without
 * limit. A mutex is an {@link RwLock} taken exclusively every time, so the FIFO queue, its bound
 * and the hand-over without barging are written once, in `rw-lock.ts`.
 */
import { KeyedRwLock, RwLock } from './rw-lock.js';

export { MUTEX_WAITERS_MAX } from './rw-lock.js';

/** A FIFO mutex. Acquisition order is the order of {@link Mutex.run} calls. */
export class Mutex {
  private readonly lock = new RwLock();

  /** True while held or awaited. */
  get busy(): boolean {
    return this.lock.busy;
  }

  /**
   * Runs `body` once every earlier caller has finished, and resolves or rejects as it does. Rejects
   * with `ERR_LIMIT_EXCEEDED` (without running `body`) when {@link MUTEX_WAITERS_MAX} callers are
   * already waiting.
   */
  run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    return this.lock.run(true, operation, body);
  }
}

/** One {@link Mutex} per key, created on demand and dropped once nobody holds or awaits it. */
export class KeyedMutex {
  private readonly locks = new KeyedRwLock();

  /** Number of keys currently held or awaited (for tests and leak checks). */
  get size(): number {
    return this.locks.size;
  }

  /** Runs `body` under the lock of `key`; see {@link Mutex.run}. */
  run<T>(key: string, operation: string, body: () => Promise<T>): Promise<T> {
    return this.locks.run(key, true, operation, body);
  }
}
