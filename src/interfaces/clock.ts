/** Time as the code under test sees it. */
export interface Clock {
  /**
   * Milliseconds since an arbitrary, backend-chosen epoch. Monotonic: never decreases. On real
   * backends it is wall-clock based (`performance.timeOrigin + performance.now()`); under
   * simulation it is simulated time and starts at 0.
   */
  now(): number;
  /**
   * Resolves once `ms` milliseconds have passed on this clock. `0` yields to other tasks.
   * Negative, NaN or non-finite `ms` rejects with `ERR_INVALID_ARGUMENT`. Under simulation no real
   * time passes: the simulator advances its clock to the next event.
   */
  sleep(ms: number): Promise<void>;
}
