/**
 * Simulated time for everything in an intercepting run: `setTimeout`, `setInterval`,
 * `setImmediate` and their `clear*` (globals and the `timers`/`timers/promises` modules), `Date`,
 * `performance.now()` and `process.hrtime()` are replaced by `@sinonjs/fake-timers` and driven by
 * the simulation's scheduler: the scheduler stops at each fake timer's due time as it does at its
 * own events (see {@link ExternalTimers}), and moves the fake clock along with simulated time, so
 * `Date.now()` advances with simulated I/O latency too.
 *
 * Wall clock: `Date.now()` is {@link SIM_EPOCH_MS} plus simulated milliseconds (whole, as Date
 * has); `performance.now()` and `hrtime`/`hrtime.bigint()` count simulated time from the start of
 * the run with its fractions (device latencies are fractional milliseconds), to the nanosecond.
 * fake-timers' own versions of those two only see the whole milliseconds we tick it by (see
 * `advanceTo`), so they are replaced by readings of the scheduler's clock after installation; its
 * `uninstall` restores the originals as before.
 *
 * A timer callback runs in the async context where the timer was set (`AsyncResource.bind`), so a
 * callback set inside `node.within` keeps reaching that node's disk; and it never runs once that
 * node has lost power (crash or restart since it was set): the machine's process died with it. `process.nextTick` and
 * `queueMicrotask` are not faked: they involve no time, and promises need them.
 */
import { AsyncResource } from 'node:async_hooks';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { withGlobal, type Clock } from '@sinonjs/fake-timers';
import type { ExternalTimers, Scheduler } from '../backends/sim/scheduler.js';
import { currentRoute } from './fs-router.js';
import { StorageError } from '../interfaces/errors.js';

/** The wall-clock time (ms since 1970) at simulated time 0: 2025-01-01T00:00:00Z. */
export const SIM_EPOCH_MS = Date.UTC(2025, 0, 1);

const require = createRequire(import.meta.url);
const timersModule = require('node:timers') as Record<string, unknown>;
/** `perf_hooks`'s performance object (fake-timers redefines its `now`), and the real hrtime. */
const perfHooksPerformance = (require('node:perf_hooks') as { performance?: object }).performance;
const realHrtime = process.hrtime;

const FAKED = ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'hrtime', 'performance'] as const;
/** Timer-setting functions whose callback must keep the caller's async context. */
const SETTERS = ['setTimeout', 'setInterval', 'setImmediate'] as const;

/** fake-timers' internal min-heap on due time: the one place we read past its public API. */
interface ClockInternals {
  timerHeap?: { peek(): { callAt: number } | undefined };
}

/** The fake clock of one run, attached to a scheduler as its external timers. */
export class SimTime implements ExternalTimers {
  private readonly clock: Clock;
  /** Simulated ms the fake clock has been moved to. */
  private advancedToMs: number;
  private readonly startMs: number;

  private constructor(private readonly scheduler: Scheduler) {
    this.startMs = Math.floor(scheduler.now());
    this.advancedToMs = this.startMs;
    this.clock = withGlobal(globalThis).install({
      now: SIM_EPOCH_MS + this.startMs,
      toFake: [...FAKED],
      // Generous: a run may legitimately fire many timers at one instant.
      loopLimit: 1_000_000,
    });
    for (const holder of [globalThis as unknown as Record<string, unknown>, timersModule]) {
      for (const name of SETTERS) {
        const fake = holder[name];
        if (typeof fake !== 'function') continue;
        const clock = this.clock;
        const bound = function (this: unknown, callback: unknown, ...rest: unknown[]): unknown {
          if (typeof callback !== 'function') return Reflect.apply(fake, this, [callback, ...rest]);
          const run = AsyncResource.bind(callback as (...a: unknown[]) => unknown);
          const route = currentRoute();
          if (route?.generation === undefined) return Reflect.apply(fake, this, [run, ...rest]);
          // Set on a simulated node: it fires only while that node has not lost power since.
          const generation = route.generation();
          let handle: unknown;
          const guarded = function (this: unknown, ...args: unknown[]): unknown {
            if (route.generation?.() !== generation) {
              if (name === 'setInterval') clock.clearInterval(handle as Parameters<typeof clock.clearInterval>[0]);
              return undefined;
            }
            return Reflect.apply(run, this, args);
          };
          handle = Reflect.apply(fake, this, [guarded, ...rest]);
          return handle;
        };
        // Keep util.promisify(setTimeout) and friends working as on Node.
        for (const symbol of Object.getOwnPropertySymbols(fake)) {
          (bound as unknown as Record<symbol, unknown>)[symbol] = (fake as unknown as Record<symbol, unknown>)[symbol];
        }
        holder[name] = bound;
      }
    }
    this.installPreciseClocks();
    syncBuiltinESMExports();
  }

  /** Simulated nanoseconds since the run started (an integer: exact up to ~104 days). */
  private elapsedNs(): number {
    return Math.round((this.scheduler.now() - this.startMs) * 1e6);
  }

  /**
   * Points the faked `performance.now` (the global and `perf_hooks`'s) and `process.hrtime` (and
   * its `bigint`) at the scheduler's clock. Only fake-timers' public clock fields are touched:
   * `clock.performance.now` and `clock.hrtime` are what the installed fakes call.
   */
  private installPreciseClocks(): void {
    const clock = this.clock as unknown as { performance?: { now: () => number }; hrtime?: (prev?: [number, number]) => [number, number] };
    const now = (): number => this.elapsedNs() / 1e6;
    if (clock.performance !== undefined) {
      clock.performance.now = now;
      if (perfHooksPerformance !== undefined && perfHooksPerformance !== clock.performance) {
        Object.defineProperty(perfHooksPerformance, 'now', { configurable: true, writable: true, value: now });
      }
    }
    if (clock.hrtime !== undefined && process.hrtime !== realHrtime) {
      const hrtime = (prev?: [number, number]): [number, number] => {
        const ns = this.elapsedNs();
        const seconds = Math.floor(ns / 1e9);
        const nanos = ns - seconds * 1e9;
        if (prev === undefined) return [seconds, nanos];
        // Node's contract: the difference from an earlier reading, nanoseconds borrowed from seconds.
        let secondDiff = seconds - prev[0];
        let nanoDiff = nanos - prev[1];
        if (nanoDiff < 0) { nanoDiff += 1e9; secondDiff -= 1; }
        return [secondDiff, nanoDiff];
      };
      clock.hrtime = hrtime;
      // The installed process.hrtime calls clock.hrtime; its bigint was copied at installation.
      (process.hrtime as unknown as { bigint: () => bigint }).bigint = (): bigint => BigInt(this.elapsedNs());
    }
  }

  /** Installs the fake clock and attaches it to `scheduler`. */
  static install(scheduler: Scheduler): SimTime {
    const time = new SimTime(scheduler);
    scheduler.external = time;
    return time;
  }

  /** Detaches from the scheduler and restores every faked global and module function. */
  uninstall(): void {
    if (this.scheduler.external === this) this.scheduler.external = undefined;
    this.clock.uninstall();
    syncBuiltinESMExports();
  }

  nextDueMs(): number | undefined {
    const next = (this.clock as unknown as ClockInternals).timerHeap?.peek();
    return next === undefined ? undefined : next.callAt - SIM_EPOCH_MS;
  }

  advanceTo(nowMs: number): void {
    // Whole milliseconds only: fake-timers splits fractional ticks into ms plus a nanosecond
    // carry whose float rounding can stop a hair short of a timer's due time (and the loop would
    // then wait at that instant for ever). Simulated time keeps its fractions; Date.now() has
    // none anyway.
    const targetMs = Math.floor(nowMs);
    const deltaMs = targetMs - this.advancedToMs;
    if (deltaMs < 0) return;
    this.advancedToMs = targetMs;
    this.clock.tick(deltaMs);
    // Bound on the scheduler's loop: a timer still due now after the tick would make it step at
    // this instant for ever. fake-timers never leaves one (it clamps delays as Node does).
    const stuck = this.nextDueMs();
    if (stuck !== undefined && stuck <= targetMs) {
      throw new StorageError('ERR_INTERNAL', 'a simulated timer is due but did not fire', { operation: 'run', timeMs: targetMs, dueMs: stuck });
    }
  }

  pendingCount(): number {
    return this.clock.countTimers();
  }
}
