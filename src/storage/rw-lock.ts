/**
 * Bounded asynchronous shared/exclusive locks, and a keyed variant whose entries disappear when
 * idle. Storage's direct mode takes a file's lock shared for writes that cover whole sectors (they
 * need no read-modify-write and never move the end of file back, so any number may run at once)
 * and exclusive for everything that does (a partial sector, a length change): with one exclusive
 * mutex for all writes, 64 concurrent 4 KiB direct writes ran one at a time, at 0.06-0.09x of the
 * raw Io (`bench/uring-reads.ts`).
 *
 * Grants are FIFO: a waiting exclusive caller holds back shared callers that come after it, so a
 * stream of shared work cannot starve it. Waiters are bounded by {@link MUTEX_WAITERS_MAX}; past
 * it a new waiter is refused with `ERR_LIMIT_EXCEEDED` instead of growing the queue without limit.
 */
import { assert, StorageError } from '../interfaces/errors.js';

/** Most callers that may wait on one lock (or mutex) at once. */
export const MUTEX_WAITERS_MAX = 65_536;

interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

/** A FIFO shared/exclusive lock. */
export class RwLock {
  private sharedCount = 0;
  private exclusiveHeld = false;
  // A FIFO as an array plus a head index (Array.prototype.shift is O(n)).
  private waiters: Array<Waiter | undefined> = [];
  private waitersHead = 0;

  /** True while held (either way) or awaited. */
  get busy(): boolean {
    return this.exclusiveHeld || this.sharedCount > 0 || this.waitersHead < this.waiters.length;
  }

  /**
   * Runs `body` once the lock is granted (shared: alongside other shared holders; exclusive:
   * alone) and resolves or rejects as it does. Rejects with `ERR_LIMIT_EXCEEDED` (without running
   * `body`) when {@link MUTEX_WAITERS_MAX} callers are already waiting. `onIdle` runs after a
   * release that leaves the lock neither held nor awaited.
   *
   * Not an async method: a lock granted at once runs `body` in this call and settles through one
   * `then` (two async frames here cost about 1 µs per 4 KiB direct write, measured with
   * `bench/uring-reads.ts`).
   */
  run<T>(exclusive: boolean, operation: string, body: () => Promise<T>, onIdle?: () => void): Promise<T> {
    if (!this.tryAcquire(exclusive)) {
      if (this.waiters.length - this.waitersHead >= MUTEX_WAITERS_MAX) {
        return Promise.reject(new StorageError('ERR_LIMIT_EXCEEDED', 'too many callers waiting on one lock', {
          operation, limit: MUTEX_WAITERS_MAX,
        }));
      }
      return new Promise<void>((resolve) => this.waiters.push({ exclusive, grant: resolve }))
        .then(() => this.runHeld(exclusive, body, onIdle));
    }
    return this.runHeld(exclusive, body, onIdle);
  }

  /**
   * Takes the lock shared if it can be had now (nobody holds it exclusively or waits for it), for
   * a caller that settles its work itself and then calls {@link releaseShared}, and false
   * otherwise (then {@link run} waits in line). Why: `run` chains a reaction of its own to the
   * body's promise; a 4 KiB direct write that holds the lock for one Io call can release it in
   * the reaction that settles the write.
   */
  tryHoldShared(): boolean {
    return this.tryAcquire(false);
  }

  /** Gives back a hold taken by {@link tryHoldShared}. */
  releaseShared(): void {
    this.release(false, undefined);
  }

  /** Takes the lock if it can be had now (nobody waits before us). */
  private tryAcquire(exclusive: boolean): boolean {
    if (this.waitersHead < this.waiters.length || this.exclusiveHeld || (exclusive && this.sharedCount > 0)) return false;
    if (exclusive) this.exclusiveHeld = true;
    else this.sharedCount += 1;
    return true;
  }

  /** Runs `body` with the lock held, and releases it once `body` settles (or throws). */
  private runHeld<T>(exclusive: boolean, body: () => Promise<T>, onIdle: (() => void) | undefined): Promise<T> {
    let settled: Promise<T>;
    try {
      // The same promise when `body` returns a native one (as every caller's does).
      settled = Promise.resolve(body());
    } catch (err) {
      this.release(exclusive, onIdle);
      return Promise.reject(err);
    }
    return settled.then((value) => {
      this.release(exclusive, onIdle);
      return value;
    }, (err: unknown) => {
      this.release(exclusive, onIdle);
      throw err;
    });
  }

  private release(exclusive: boolean, onIdle: (() => void) | undefined): void {
    if (exclusive) this.exclusiveHeld = false;
    else this.sharedCount -= 1;
    this.grantWaiting();
    if (onIdle !== undefined && !this.busy) onIdle();
  }

  /** Grants the head of the queue while it can run: one exclusive caller, or a run of shared ones. */
  private grantWaiting(): void {
    // Bounded by the queue length: each iteration removes one waiter or stops.
    while (this.waitersHead < this.waiters.length && !this.exclusiveHeld) {
      const next = this.waiters[this.waitersHead] as Waiter;
      if (next.exclusive && this.sharedCount > 0) return;
      this.waiters[this.waitersHead] = undefined;
      this.waitersHead += 1;
      if (next.exclusive) this.exclusiveHeld = true;
      else this.sharedCount += 1;
      next.grant();
    }
    if (this.waitersHead === this.waiters.length) {
      this.waiters = [];
      this.waitersHead = 0;
    } else if (this.waitersHead >= 1024 && this.waitersHead * 2 >= this.waiters.length) {
      this.waiters = this.waiters.slice(this.waitersHead);
      this.waitersHead = 0;
    }
  }
}

/** One {@link RwLock} per key, created on demand and dropped once nobody holds or awaits it. */
export class KeyedRwLock {
  private readonly locks = new Map<string, RwLock>();

  /** Number of keys currently held or awaited (for tests and leak checks). */
  get size(): number {
    return this.locks.size;
  }

  /** Takes the lock of `key` shared if it can be had now; see {@link RwLock.tryHoldShared}. */
  tryHoldShared(key: string): boolean {
    return this.lockOf(key).tryHoldShared();
  }

  /** Gives back a hold of `key` taken by {@link tryHoldShared} (the lock is dropped once idle). */
  releaseShared(key: string): void {
    const lock = this.locks.get(key);
    // A hold keeps its lock in the map (only an idle lock is dropped), so it is there.
    assert(lock !== undefined, 'KeyedRwLock.releaseShared: no lock is held for this key');
    lock.releaseShared();
    if (!lock.busy) this.locks.delete(key);
  }

  /** The lock of `key`, created on demand. */
  private lockOf(key: string): RwLock {
    let lock = this.locks.get(key);
    if (lock === undefined) {
      lock = new RwLock();
      this.locks.set(key, lock);
    }
    return lock;
  }

  /** Runs `body` under the lock of `key`, shared or exclusive; see {@link RwLock.run}. */
  run<T>(key: string, exclusive: boolean, operation: string, body: () => Promise<T>): Promise<T> {
    const held = this.lockOf(key);
    return held.run(exclusive, operation, body, () => {
      if (this.locks.get(key) === held) this.locks.delete(key);
    });
  }
}
