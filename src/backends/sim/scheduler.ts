/**
 * The simulator's single event queue and simulated clock.
 *
 * Every simulated operation (an I/O completion, a sleep) is an event with a simulated time and a
 * sequence number; events fire in (time, sequence) order, so ties are broken by submission order
 * and the schedule depends on nothing but the seed and the code under test.
 *
 * Two ways to drive it:
 * - `run(main)`: the loop fires every event due at the current time, then yields one macrotask
 *   (`setImmediate`) so that every promise callback those events unlocked runs, then advances the
 *   clock to the next event. The loop is a plain callback re-armed with `setImmediate` (no promise
 *   per turn), and every event due at one instant, including those scheduled with zero delay while
 *   the batch fires, completes in the same turn. Yielding to the microtask/immediate queue involves no time and no
 *   randomness: it is only how we let JavaScript finish reacting before the next event is picked.
 * - standalone (no `run` active, e.g. a conformance suite awaiting Io calls directly): scheduling
 *   an event arms a pump on `setImmediate` that does the same steps by itself until the queue is
 *   empty. Time still only moves in simulation; `sleep(1000)` finishes at once in real time.
 *
 * No real timer, wall clock or `Math.random` is read here.
 */
import { StorageError } from '../../interfaces/errors.js';
import type { Clock } from '../../interfaces/clock.js';
import { checkSleepMs } from '../../interfaces/validate.js';

// Captured at load: while a run fakes the global timers (interception), the loop that drives the
// simulation must keep turning on the real event loop.
const realSetImmediate = globalThis.setImmediate;

/**
 * Timers kept outside the event queue that share its clock: the faked `setTimeout` & co. of an
 * intercepting run. The scheduler stops at each of their due times like at its own events.
 */
export interface ExternalTimers {
  /** Simulated time (ms) of the earliest pending timer, or undefined when none is pending. */
  nextDueMs(): number | undefined;
  /** Moves the timers' clock to `nowMs` (never backwards), firing every timer due by then. */
  advanceTo(nowMs: number): void;
  /** Timers pending, for deadlock reports. */
  pendingCount(): number;
}

/** Something that happens at a simulated time. `fire` must not throw. */
export abstract class SimEvent {
  timeMs = 0;
  seq = 0;
  /** A cancelled event is dropped when its time comes (a crashed node's completions). */
  cancelled = false;
  abstract fire(): void;
}

class SleepEvent extends SimEvent {
  constructor(private readonly resolve: () => void) { super(); }
  fire(): void { this.resolve(); }
}

/** Bound on queued events: past it the simulation fails rather than growing without limit. */
export const EVENT_QUEUE_MAX = 1 << 22;
/** Slots of the due array kept between batches. */
const DUE_ROOM_KEPT_MAX = 1 << 16;

function before(a: SimEvent, b: SimEvent): boolean {
  return a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq);
}

export class Scheduler implements Clock {
  private nowMs = 0;
  private seqNext = 0;
  /**
   * Events due at `nowMs`, FIFO: slots [dueHead, dueCount). The array keeps its length between
   * batches (consumed slots are cleared): truncating it each step freed and regrew its store.
   */
  private readonly due: (SimEvent | undefined)[] = [];
  private dueHead = 0;
  private dueCount = 0;
  /** Future events: a binary min-heap on (time, seq). */
  private readonly heap: SimEvent[] = [];
  private running = false;
  private pumpArmed = false;
  private eventsFired = 0;
  private readonly timeLimitMs: number;
  /** Fake timers of an intercepting run (set for the duration of that run only). */
  external: ExternalTimers | undefined = undefined;
  /** Called before the loop reports a deadlock, to name what is pending. */
  describePending: () => Record<string, unknown> = () => ({});

  constructor(timeLimitMs: number) {
    this.timeLimitMs = timeLimitMs;
    this.pump = this.pump.bind(this);
  }

  now(): number { return this.nowMs; }

  /** Number of events fired so far. */
  get firedCount(): number { return this.eventsFired; }

  /** Events waiting. */
  get queuedCount(): number { return this.dueCount - this.dueHead + this.heap.length; }

  sleep(ms: number): Promise<void> {
    try {
      checkSleepMs(ms);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<void>((resolve) => {
      this.schedule(new SleepEvent(resolve), ms);
    });
  }

  /** Queues `event` to fire `delayMs` from now. */
  schedule(event: SimEvent, delayMs: number): void {
    if (this.queuedCount >= EVENT_QUEUE_MAX) {
      throw new StorageError('ERR_LIMIT_EXCEEDED', 'simulation event queue is full', { limit: EVENT_QUEUE_MAX });
    }
    event.seq = this.seqNext++;
    if (delayMs <= 0) {
      event.timeMs = this.nowMs;
      this.due[this.dueCount++] = event;
    } else {
      event.timeMs = this.nowMs + delayMs;
      this.heapPush(event);
    }
    if (!this.running && !this.pumpArmed) {
      this.pumpArmed = true;
      realSetImmediate(this.pump);
    }
  }

  /**
   * Fires every event due now; if none is due, advances the clock to the next event first.
   * Returns false when the queue is empty.
   */
  step(): boolean {
    const external = this.external;
    if (this.dueHead >= this.dueCount) {
      this.dueCount = 0;
      this.dueHead = 0;
      const first = this.heap[0];
      const timerMs = external?.nextDueMs();
      if (first === undefined && timerMs === undefined) return false;
      // A timer set with zero delay after the last batch is due now; time never goes back.
      const nextMs = Math.max(this.nowMs, Math.min(first?.timeMs ?? Infinity, timerMs ?? Infinity));
      this.nowMs = nextMs;
      while (this.heap.length > 0 && (this.heap[0] as SimEvent).timeMs === this.nowMs) {
        this.due[this.dueCount++] = this.heapPop();
      }
    }
    // Timers due at this instant fire first (they were set before anything the batch unlocks);
    // a timer callback may queue zero-delay events, which join the batch below.
    if (external !== undefined) external.advanceTo(this.nowMs);
    // Events appended while firing (zero-delay work scheduled synchronously) run in this batch.
    while (this.dueHead < this.dueCount) {
      const event = this.due[this.dueHead] as SimEvent;
      this.due[this.dueHead] = undefined;
      this.dueHead++;
      if (event.cancelled) continue;
      this.eventsFired++;
      event.fire();
    }
    this.dueCount = 0;
    this.dueHead = 0;
    // A rare huge batch must not pin its array for the rest of the run.
    if (this.due.length > DUE_ROOM_KEPT_MAX) this.due.length = 0;
    return true;
  }

  /**
   * Set once simulated time passed the limit: nothing fires any more (a main that loops forever
   * on sleeps must not keep the process busy after `run` gave up on it).
   */
  private halted = false;

  private pump(): void {
    this.pumpArmed = false;
    if (this.running || this.halted) return;
    if (this.nowMs > this.timeLimitMs) {
      this.halted = true;
      return;
    }
    if (this.step() && this.queuedCount > 0 && !this.running && !this.pumpArmed) {
      this.pumpArmed = true;
      realSetImmediate(this.pump);
    }
  }

  /**
   * Runs `main` in simulated time until it settles. Rejects with `ERR_DEADLOCK` when main is still
   * pending and no event is left, with `ERR_TIME_LIMIT` past the time limit.
   */
  run<T>(main: () => T | Promise<T>): Promise<T> {
    if (this.running) {
      return Promise.reject(new StorageError('ERR_INVALID_ARGUMENT', 'sim.run is already active on this simulation', { operation: 'run' }));
    }
    if (this.halted) {
      return Promise.reject(new StorageError('ERR_TIME_LIMIT', 'simulation passed its simulated-time limit', {
        operation: 'run', timeMs: this.nowMs, limitMs: this.timeLimitMs,
      }));
    }
    this.running = true;
    return new Promise<T>((resolveRun, rejectRun) => {
      let settled = false;
      let ok = false;
      let value: T | undefined;
      let error: unknown;
      Promise.resolve().then(main).then(
        (v) => { settled = true; ok = true; value = v; },
        (e: unknown) => { settled = true; error = e; },
      );
      const finish = (failure: unknown, failed: boolean): void => {
        this.running = false;
        // Work left in the queue (e.g. operations main did not await) continues in standalone mode.
        if (this.queuedCount > 0 && !this.pumpArmed && !this.halted) {
          this.pumpArmed = true;
          realSetImmediate(this.pump);
        }
        if (failed) rejectRun(failure);
        else if (ok) resolveRun(value as T);
        else rejectRun(error);
      };
      // One macrotask per step, as a plain callback: no promise and no async resumption per
      // simulated instant (with latency on, that is one per operation).
      const tick = (): void => {
        if (settled) { finish(undefined, false); return; }
        if (this.nowMs > this.timeLimitMs) {
          this.halted = true;
          finish(new StorageError('ERR_TIME_LIMIT', 'simulation passed its simulated-time limit', {
            operation: 'run', timeMs: this.nowMs, limitMs: this.timeLimitMs,
          }), true);
          return;
        }
        let stepped: boolean;
        try {
          stepped = this.step();
        } catch (err) {
          finish(err, true);
          return;
        }
        if (!stepped) {
          finish(this.deadlock(), true);
          return;
        }
        realSetImmediate(tick);
      };
      realSetImmediate(tick);
    });
  }

  /**
   * The error of a stalled run. When it fires no simulated timer and no simulated event is left
   * (the scheduler would have stepped to them); the message says so, and what that implies.
   */
  private deadlock(): StorageError {
    const pending = this.describePending();
    const timers = this.external?.pendingCount() ?? 0;
    // Stepping only stops with no timer due, so `timers` is 0 here; details keep the count anyway.
    const what = this.external === undefined
      ? 'no simulated event is queued and timers are not simulated (without interception a real setTimeout, real I/O or Date-based wait is invisible to the simulation)'
      : 'no simulated event is queued and no simulated timer is pending';
    return new StorageError('ERR_DEADLOCK',
      `simulation deadlock: main is still pending but ${what}; it awaits a promise nothing in the simulation will settle (see details.pending)`,
      { operation: 'run', timeMs: this.nowMs, eventsFired: this.eventsFired, pending: { simulatedTimers: timers, timersSimulated: this.external !== undefined, ...pending } });
  }

  private heapPush(event: SimEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as SimEvent;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  private heapPop(): SimEvent {
    const heap = this.heap;
    const top = heap[0] as SimEvent;
    const last = heap.pop() as SimEvent;
    if (heap.length > 0) {
      let i = 0;
      const n = heap.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && before(heap[r] as SimEvent, heap[l] as SimEvent)) c = r;
        const child = heap[c] as SimEvent;
        if (!before(child, last)) break;
        heap[i] = child;
        i = c;
      }
      heap[i] = last;
    }
    return top;
  }
}
