/**
 * The one place where the command-line runner meets the simulator: building a simulation for a
 * seed, formatting its trace, and knowing which faults it injected on which node. Everything else
 * in `src/cli` goes through here, so a change in the simulator's surface is absorbed in one file.
 */
import { Simulation, formatEvent, type FaultFilter, type SimNode } from '../backends/sim/index.js';
import { swarmFaults } from './swarm-faults.js';
import type { FaultPresetName, SimProfile } from './workload.js';

export type SimulationHandle = Simulation;
export type SimNodeHandle = SimNode;

/** Device latency of a campaign: the simulator's SSD-like preset (completions reorder), or none. */
export type LatencyPresetName = 'none' | 'default';
export const LATENCY_PRESETS: readonly LatencyPresetName[] = ['default', 'none'];

/** How to build a simulation for one seed. */
export interface SimulationSpec {
  readonly seed: number;
  readonly profile: SimProfile;
  readonly faults: FaultPresetName;
  readonly latency: LatencyPresetName;
  /**
   * Trace records kept for display (the hash covers every record whatever this is). Campaigns keep
   * few, which keeps a seed cheap; a replay with `--trace` keeps many.
   */
  readonly traceCapacity?: number;
  /** Route node:fs inside `node.within`, and run timers, Date and randomness on the simulation (see README, interception). */
  readonly intercept?: boolean;
  /** Fault kinds switched off for this run (`shrink`, and the replay lines it prints). */
  readonly faultsOff?: readonly string[];
  /** Single injected faults that do not happen in this run. */
  readonly vetoes?: readonly FaultOccurrence[];
  /** Record every fault the simulator decided to inject (`shrink` needs the list). */
  readonly trackFaults?: boolean;
}

/**
 * One injected fault, named by its place in its own stream: the `occurrence`-th time (1-based)
 * the simulator decided to inject `kind` on `node`. Each kind of each node draws from its own
 * stream, so vetoing one leaves every other kind's decisions as they were; with the same vetoes,
 * the numbering is the same on every run.
 */
export interface FaultOccurrence {
  readonly node: string;
  readonly kind: string;
  readonly occurrence: number;
}

/** `node/kind/occurrence`, as `--veto` takes it. */
export function occurrenceText(o: FaultOccurrence): string {
  return `${o.node}/${o.kind}/${o.occurrence}`;
}

/** Faults decided per simulation, for runs with `trackFaults`. */
const decided = new WeakMap<Simulation, FaultOccurrence[]>();

/** The faults the simulator decided to inject (vetoed ones excluded), in order. */
export function decidedFaults(sim: Simulation): readonly FaultOccurrence[] {
  return decided.get(sim) ?? [];
}

/**
 * The simulator's `faultFilter` for a run that records or vetoes decisions: a vetoed decision
 * does not happen; the others are listed in order.
 */
function faultFilter(vetoes: readonly FaultOccurrence[], list: FaultOccurrence[]): FaultFilter {
  const vetoed = new Set(vetoes.map(occurrenceText));
  return ({ node, kind, occurrence }) => {
    const entry = { node, kind, occurrence };
    if (vetoed.has(occurrenceText(entry))) return false;
    list.push(entry);
    return true;
  };
}

/**
 * Simulated time one seed may take: a workload stuck in a polling loop fails with
 * `ERR_TIME_LIMIT` instead of spinning for ever.
 */
export const SEED_TIME_LIMIT_MS = 10 * 60 * 1000;

/** Trace records a campaign seed keeps (enough for the failure report's tail). */
export const CAMPAIGN_TRACE_CAPACITY = 512;

/** Builds the simulation for one seed. */
export function createSimulation(spec: SimulationSpec): Simulation {
  const tracked = spec.trackFaults === true || (spec.vetoes?.length ?? 0) > 0;
  const list: FaultOccurrence[] = [];
  const sim = new Simulation({
    seed: spec.seed,
    profile: spec.profile,
    faults: spec.faults === 'swarm' ? swarmFaults(spec.seed).config : spec.faults,
    latency: spec.latency,
    traceCapacity: spec.traceCapacity ?? CAMPAIGN_TRACE_CAPACITY,
    timeLimitMs: SEED_TIME_LIMIT_MS,
    ...(spec.intercept === true ? { intercept: true } : {}),
    // Only runs that ask for it pay for the filter (a campaign seed does not).
    ...(tracked ? { faultFilter: faultFilter(spec.vetoes ?? [], list) } : {}),
  });
  if (tracked) decided.set(sim, list);
  for (const kind of spec.faultsOff ?? []) sim.faults.disable(kind as Parameters<typeof sim.faults.disable>[0]);
  return sim;
}

/** The last `lastN` trace events, one per line. */
export function formatTrace(sim: Simulation, lastN: number): string {
  return sim.trace.format(lastN);
}

/** Fault kinds injected so far on node `nodeName`. */
export function injectedFaults(sim: Simulation, nodeName: string): ReadonlySet<string> {
  const node = sim.nodes.find((n) => n.name === nodeName);
  const names = new Set<string>();
  if (node === undefined) return names;
  for (const [kind, count] of Object.entries(node.faultCounts())) if (count > 0) names.add(kind);
  return names;
}

/**
 * The trace record of the last injected fault of `kind` (on `path`, when given), as a line of
 * text; undefined when the trace no longer holds it (the ring keeps the most recent records).
 */
export function injectedFaultRecord(sim: Simulation, kind: string, path: string | undefined): string | undefined {
  const faults = sim.trace.filter('fault');
  for (let i = faults.length - 1; i >= 0; i--) {
    const event = faults[i]!;
    if (event.what === kind && (path === undefined || event.path === undefined || event.path === path)) return formatEvent(event);
  }
  return undefined;
}

/** Every fault record the trace still holds, one line each. */
export function faultRecords(sim: Simulation): string[] {
  return sim.trace.filter('fault').map(formatEvent);
}
