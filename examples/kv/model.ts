/**
 * The reference model the KV workload checks the store against.
 *
 * Each key has one value known to be durable (the last acknowledged write, or absent) and the
 * writes issued since then that were not acknowledged because a crash or a failure cut them off:
 * those may or may not have survived. Recovery must show, for every key, the durable value or one
 * of those candidates; whatever it shows becomes the new durable value.
 */
import { InvariantViolation } from '../../src/cli/workload.js';

/** A value or absence (a delete). */
export type ModelValue = Uint8Array | null;

interface KeyState {
  durable: ModelValue;
  candidates: ModelValue[];
}

/** Most unacknowledged writes tracked per key; a workload issues one write per key at a time. */
const CANDIDATES_MAX = 64;

function same(a: ModelValue, b: ModelValue): boolean {
  if (a === null || b === null) return a === b;
  return Buffer.compare(a, b) === 0;
}

function describe(value: ModelValue): string {
  if (value === null) return 'absent';
  return `${value.byteLength} bytes ${Buffer.from(value.subarray(0, 8)).toString('hex')}…`;
}

export class KvModel {
  private readonly keys = new Map<string, KeyState>();

  private state(key: string): KeyState {
    let state = this.keys.get(key);
    if (state === undefined) {
      state = { durable: null, candidates: [] };
      this.keys.set(key, state);
    }
    return state;
  }

  /** A write of `value` (null: delete) to `key` was issued. */
  issue(key: string, value: ModelValue): void {
    const state = this.state(key);
    if (state.candidates.length >= CANDIDATES_MAX) throw new InvariantViolation('model: too many unacknowledged writes on one key', { key });
    state.candidates.push(value);
  }

  /** The write of `value` to `key` was acknowledged: it is durable, and older candidates are moot. */
  acknowledge(key: string, value: ModelValue): void {
    const state = this.state(key);
    state.durable = value;
    state.candidates = [];
  }

  /** Keys ever written. */
  knownKeys(): string[] {
    return [...this.keys.keys()];
  }

  /** True when `key` has writes whose fate is unknown. */
  uncertain(key: string): boolean {
    return (this.keys.get(key)?.candidates.length ?? 0) > 0;
  }

  /**
   * A read of `key` during normal operation (no write to it in flight) returned `observed`: it
   * must be exactly the durable value.
   */
  checkRead(key: string, observed: ModelValue): void {
    const expected = this.keys.get(key)?.durable ?? null;
    if (!same(expected, observed)) {
      throw new InvariantViolation(`read of ${key} returned ${describe(observed)}, expected ${describe(expected)}`, { key });
    }
  }

  /**
   * After recovery, `key` reads `observed`. Returns `'ok'` when that is the durable value or a
   * candidate, `'lost'` when it is an older value or absence (acknowledged data was lost: the caller
   * decides whether an injected media fault excuses it), and throws when `observed` was never
   * written to `key` at all (`everWritten` answers that; absence always counts as written).
   */
  settle(key: string, observed: ModelValue, everWritten: (key: string, value: ModelValue) => boolean): 'ok' | 'lost' {
    const state = this.state(key);
    let verdict: 'ok' | 'lost' = 'ok';
    if (!same(state.durable, observed) && !state.candidates.some((candidate) => same(candidate, observed))) {
      if (!everWritten(key, observed)) {
        throw new InvariantViolation(`after recovery ${key} holds ${describe(observed)}, which was never written`, { key });
      }
      verdict = 'lost';
    }
    state.durable = observed;
    state.candidates = [];
    return verdict;
  }

  /** Describes the expectation for `key`, for failure messages. */
  expectation(key: string): string {
    const state = this.keys.get(key);
    if (state === undefined) return 'never written';
    return `durable ${describe(state.durable)}, ${state.candidates.length} unacknowledged`;
  }
}
