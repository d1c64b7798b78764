/**
 * Bounded asynchronous mutual exclusion, and a keyed variant whose entries disappear when idle.
 *
 * Storage uses a {@link KeyedMutex} per partition (so a blob is never opened while it is being
 * created, removed or atomically replaced) and per blob file in direct mode (so the
 * read-modify-write of a partial sector cannot lose a concurrent write to the same sector).
 * Waiters are bounded: past {@link MUTEX_WAITERS_MAX} a new waiter is refused with
 * `ERR_LIMIT_EXCEEDED` rather than letting the queue grow without limit.
 */
import { StorageError } from '../interfaces/errors.js';

/** Most callers that may wait on one mutex at once. */
export const MUTEX_WAITERS_MAX = 65_536;

/** A FIFO mutex. Acquisition order is the order of {@link Mutex.run} calls. */
export class Mutex {
  private held = false;
  // A FIFO as an array plus a head index: Array.prototype.shift is O(n), which turns a long
  // queue into quadratic work.
  private waiters: Array<(() => void) | undefined> = [];
  private waitersHead = 0;

  /** True while held or awaited. */
  get busy(): boolean {
    return this.held || this.waitersHead < this.waiters.length;
  }

  /**
   * Runs `body` once every earlier caller has finished, and resolves or rejects as it does. Rejects
   * with `ERR_LIMIT_EXCEEDED` (without running `body`) when {@link MUTEX_WAITERS_MAX} callers are
   * already waiting.
   */
  async run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    await this.acquire(operation);
    try {
      return await body();
    } finally {
      this.release();
    }
  }

  private acquire(operation: string): Promise<void> {
    if (!this.held) {
      this.held = true;
      return Promise.resolve();
    }
    if (this.waiters.length - this.waitersHead >= MUTEX_WAITERS_MAX) {
      return Promise.reject(new StorageError('ERR_LIMIT_EXCEEDED', 'too many callers waiting on one lock', {
        operation, limit: MUTEX_WAITERS_MAX,
      }));
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private release(): void {
    if (this.waitersHead >= this.waiters.length) {
      this.held = false;
      return;
    }
    const next = this.waiters[this.waitersHead];
    this.waiters[this.waitersHead] = undefined;
    this.waitersHead += 1;
    if (this.waitersHead === this.waiters.length) {
      this.waiters = [];
      this.waitersHead = 0;
    } else if (this.waitersHead >= 1024 && this.waitersHead * 2 >= this.waiters.length) {
      this.waiters = this.waiters.slice(this.waitersHead);
      this.waitersHead = 0;
    }
    // Ownership passes straight to the next waiter, so `held` stays true and no one can barge in.
    next?.();
  }
}

/** One {@link Mutex} per key, created on demand and dropped once nobody holds or awaits it. */
export class KeyedMutex {
  private readonly locks = new Map<string, Mutex>();

  /** Number of keys currently held or awaited (for tests and leak checks). */
  get size(): number {
    return this.locks.size;
  }

  /** Runs `body` under the lock of `key`; see {@link Mutex.run}. */
  async run<T>(key: string, operation: string, body: () => Promise<T>): Promise<T> {
    let lock = this.locks.get(key);
    if (lock === undefined) {
      lock = new Mutex();
      this.locks.set(key, lock);
    }
    try {
      return await lock.run(operation, body);
    } finally {
      if (!lock.busy && this.locks.get(key) === lock) this.locks.delete(key);
    }
  }
}
