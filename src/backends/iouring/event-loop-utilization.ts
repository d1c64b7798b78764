/**
 * The event loop's utilization with the time `waitInRing` rings spent waiting counted as idle.
 *
 * Why: `performance.eventLoopUtilization()` counts as idle only the time libuv spends in its own
 * poll (epoll_wait). A `waitInRing` UringIo blocks in io_uring_enter instead, just before that poll
 * (which then does not block), so a loop that waits for the disk looks fully busy, and anything that
 * sheds load by the loop's utilization would shed it for nothing. libuv offers no way to add to its
 * idle time, so this reads the addon's per-thread total of those waits
 * (`ringWaitNanosOfThread`, every ring of the calling thread, closed ones included) and moves it
 * from active to idle. The submission each waiting io_uring_enter carries (microseconds) is counted
 * as idle with it.
 */
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { StorageError } from '../../interfaces/errors.js';
import { loadBinding } from '../../native/binding.js';

const OPERATION = 'eventLoopUtilization';

/** Milliseconds this thread's rings have waited in io_uring_enter; 0 without the addon. */
function ringWaitMillisOfThread(): number {
  const load = loadBinding();
  return load.ok ? (load.binding.ringWaitNanosOfThread?.() ?? 0) / 1e6 : 0;
}

/** `idle` and `active` of a utilization the caller passed, each read once; ERR_INVALID_ARGUMENT otherwise. */
function snapshot(argument: string, value: unknown): { idle: number; active: number } {
  let idle: unknown;
  let active: unknown;
  try {
    if (typeof value !== 'object' || value === null) throw new TypeError('not an object');
    ({ idle, active } = value as { idle?: unknown; active?: unknown });
  } catch (cause) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${OPERATION}: ${argument} must be an object with idle and active`, { operation: OPERATION, argument }, { cause });
  }
  if (typeof idle !== 'number' || typeof active !== 'number' || !Number.isFinite(idle) || !Number.isFinite(active) || idle < 0 || active < 0) {
    throw new StorageError('ERR_INVALID_ARGUMENT', `${OPERATION}: ${argument}.idle and .active must be finite non-negative numbers`, { operation: OPERATION, argument });
  }
  return { idle, active };
}

function utilizationOf(idle: number, active: number): EventLoopUtilization {
  const total = idle + active;
  return { idle, active, utilization: total > 0 ? active / total : 0 };
}

/** From `earlier` to `later`, as perf_hooks subtracts two readings. */
function between(earlier: { idle: number; active: number }, later: { idle: number; active: number }): EventLoopUtilization {
  return utilizationOf(Math.max(0, later.idle - earlier.idle), Math.max(0, later.active - earlier.active));
}

/**
 * `performance.eventLoopUtilization()` of the calling thread, with the time its `waitInRing`
 * UringIo rings waited in io_uring_enter moved from `active` to `idle` (milliseconds, as perf_hooks
 * reports them). Same calling forms: no argument, the totals since the event loop started; one,
 * the change since that earlier reading; two, the change from the first to the second. Pass only
 * readings made by this function (a perf_hooks reading lacks the correction). Without `waitInRing`
 * rings, or without the addon, it equals perf_hooks'. Throws ERR_INVALID_ARGUMENT when a reading
 * is not an object with finite non-negative `idle` and `active`.
 */
export function eventLoopUtilization(utilization1?: EventLoopUtilization, utilization2?: EventLoopUtilization): EventLoopUtilization {
  const earlier = utilization1 === undefined ? undefined : snapshot('utilization1', utilization1);
  if (utilization2 !== undefined) {
    if (earlier === undefined) throw new StorageError('ERR_INVALID_ARGUMENT', `${OPERATION}: utilization2 given without utilization1`, { operation: OPERATION, argument: 'utilization1' });
    return between(earlier, snapshot('utilization2', utilization2));
  }
  // No wait can end between the two reads: waits run on this thread, in the loop's prepare phase.
  const waitMillis = ringWaitMillisOfThread();
  const base = performance.eventLoopUtilization();
  const now = utilizationOf(base.idle + Math.min(waitMillis, base.active), Math.max(0, base.active - waitMillis));
  return earlier === undefined ? now : between(earlier, now);
}
