/** The wall-clock {@link Clock} of real backends. */
import type { Clock } from '../../interfaces/clock.js';
import { checkSleepMs } from '../../interfaces/validate.js';

/**
 * Real time: `performance.timeOrigin + performance.now()`, which never goes backwards (unlike
 * `Date.now()`, which follows wall-clock adjustments).
 */
export class RealClock implements Clock {
  now(): number {
    return performance.timeOrigin + performance.now();
  }

  /**
   * Resolves once `ms` have passed on {@link now}. libuv starts timers from its cached loop time,
   * which can lag `now()` when the loop was busy, so a timer alone may fire early by that lag; the
   * remainder is waited again. `sleep(0)` yields to the macrotask queue. Rejects with
   * `ERR_INVALID_ARGUMENT` for negative, NaN or infinite `ms`.
   */
  sleep(ms: number): Promise<void> {
    try {
      checkSleepMs(ms);
    } catch (err) {
      return Promise.reject(err);
    }
    if (ms === 0) return new Promise((resolve) => setImmediate(resolve));
    const targetMs = this.now() + ms;
    return new Promise((resolve) => {
      // Each round waits at least 1 ms and the remainder shrinks, so this ends within
      // ceil(ms) + 1 rounds (in practice one or two).
      const wait = (): void => {
        const remainingMs = targetMs - this.now();
        if (remainingMs <= 0) resolve();
        else setTimeout(wait, Math.max(1, Math.ceil(remainingMs)));
      };
      wait();
    });
  }
}
