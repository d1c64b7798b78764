/**
 * What a simulation workload is: a module whose default export has `run(ctx)`. The runner builds
 * one {@link WorkloadContext} per seed, runs `run` inside `sim.run`, and counts the seed as failed
 * when `run` rejects (an invariant broke, or the code under test threw something unexpected).
 */
import { SIM_PROFILES, type SimProfile } from '../backends/sim/disk.js';
import type { Io } from '../interfaces/io.js';
import type { LatencyPresetName, SimulationHandle, SimNodeHandle } from './sim-api.js';

/** The durability models of the simulated disks: the simulator's own list, not a copy of it. */
export { SIM_PROFILES, type SimProfile };
/** A fault preset name: what the simulator injects. */
/** `swarm`: each seed draws its own configuration from the seed (see `swarm-faults.ts`). */
export type FaultPresetName = 'none' | 'default' | 'heavy' | 'swarm';

export const FAULT_PRESETS: readonly FaultPresetName[] = ['none', 'default', 'heavy', 'swarm'];

/** One simulated machine as a workload sees it. */
export interface WorkloadNode {
  readonly name: string;
  /** The node's current Io; after {@link WorkloadNode.restart} a fresh one. */
  readonly io: Io;
  /** Power loss now: operations in flight and later calls on the old Io reject with `ERR_CRASHED`. */
  crash(): void;
  /** Boots the node again over what survived the crash; returns the new Io (also `io` from now on). */
  restart(): Io;
  /** Fault kinds the simulator injected on this node so far (from the trace), e.g. to excuse data loss after media corruption. */
  injectedFaults(): ReadonlySet<string>;
  /**
   * Runs `fn` with this node's disk behind `node:fs` for everything it starts (needs interception:
   * the workload's `intercept: true` or `--intercept`). Unmodified fs-using code goes here.
   */
  within<T>(fn: () => T | Promise<T>): Promise<T>;
}

/** What `run` receives, once per seed. */
export interface WorkloadContext {
  /** The simulation this seed runs in (clock, trace, faults, hash). */
  readonly sim: SimulationHandle;
  readonly seed: number;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  /** Simulated device latency: `default` (completions come back out of order) or `none`. */
  readonly latency: LatencyPresetName;
  /**
   * Free-form options: `variant` holds the part after `:` in a built-in name such as
   * `kv:no-checksum`; `--option key=value` flags add more.
   */
  readonly options: Readonly<Record<string, string>>;
  /** The node called `name` (created on first use; every node has its own disk). */
  node(name: string): WorkloadNode;
  /** A seeded number in [0, 1) for the workload's own choices. Never use Math.random. */
  random(): number;
  /** A seeded integer in [0, n). */
  randomInt(n: number): number;
  /** Records a line for the failure report (kept bounded; printed with a failure or `--verbose`). */
  log(...parts: unknown[]): void;
  /**
   * Declares that this seed stopped checking early for a reason outside the code under test (for
   * example data destroyed by an injected media fault, which no single-copy store survives). The
   * seed still passes if `run` resolves; campaigns count and report excused seeds so a workload
   * cannot hide failures behind excuses unnoticed.
   */
  excuse(reason: string): void;
}

/** A simulation workload. Throw (e.g. {@link InvariantViolation}) when an invariant breaks. */
export interface Workload {
  /** Shown by `faultline sim --help` and in reports. */
  readonly description?: string;
  /** Variants accepted after `:` (e.g. broken builds of the code under test), with a description each. */
  readonly variants?: Readonly<Record<string, string>>;
  run(ctx: WorkloadContext): Promise<void>;
  /**
   * Ask for interception: `node:fs` inside `node.within(fn)` reaches the node's simulated disk, and
   * timers, `Date`, `performance.now`, `Math.random` and crypto randomness run on the simulation's
   * clock and seed. Same as `faultline sim --intercept`.
   */
  readonly intercept?: boolean;
}

/** Identity helper that types a workload literal. */
export function defineWorkload(workload: Workload): Workload {
  return workload;
}

/** Thrown by a workload when the code under test broke one of its promises. */
export class InvariantViolation extends Error {
  override readonly name = 'InvariantViolation';
  readonly code = 'ERR_INVARIANT';
  readonly details: Readonly<Record<string, unknown>>;

  constructor(message: string, details: Readonly<Record<string, unknown>> = {}) {
    super(message);
    this.details = details;
  }
}

/** Re-exported so workload authors need only this module. */
export type { LatencyPresetName, SimNodeHandle, SimulationHandle };
