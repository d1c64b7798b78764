/**
 * `--faults swarm`: every seed draws its own fault configuration from the seed, as TigerBeetle's
 * VOPR does ("swarm testing"). A fixed mix of faults at fixed rates spends most seeds in the same
 * neighbourhood; varying which kinds are on and how often they fire reaches states a fixed mix
 * rarely does (a store hammered by one kind, or left alone long enough to build up state).
 *
 * Per seed: one in eight seeds has no faults at all; otherwise each kind is on with probability
 * one half, at the default preset's rate scaled by 10^u with u uniform in [-2, 1.5] (rates spread
 * over three and a half orders of magnitude), and one seed in four turns one of its kinds up high
 * (the heavy preset's rate times ten, at most 0.3). The configuration is a pure function of the
 * seed, drawn from a stream of its own, so the replay line stays `--faults swarm --seed S`.
 *
 * Swarm varies the mix of the kinds the `default` preset injects ({@link SWARM_KINDS}: the errno
 * variants of `fsyncError` and `namespaceError` included). The kinds the presets leave out
 * (`lostWrite`, `misdirectedRead`, `powerCut`) are opt-in per workload, never drawn: a lost synced
 * write is data loss no store can undo (only detect), and a power cut needs the workload's own
 * restart and recovery, so a workload asks for them itself (as the example workloads do with
 * `powerCut`).
 */
import { FAULT_KINDS, FAULTS_DEFAULT, FAULTS_HEAVY, type FaultConfig, type FaultKind, type FaultRule } from '../backends/sim/faults.js';
import { Prng } from '../backends/sim/prng.js';

/** Share of seeds with no faults at all. */
export const SWARM_NO_FAULTS_SHARE = 1 / 8;
/** Chance each kind is on. */
export const SWARM_KIND_ON_SHARE = 1 / 2;
/** Rates span 10^[min, max] times the default rate. */
export const SWARM_RATE_EXPONENT_MIN = -2;
export const SWARM_RATE_EXPONENT_MAX = 1.5;
/** Share of seeds (with faults) that turn one kind up high. */
export const SWARM_HIGH_SHARE = 1 / 4;
/** The high kind: the heavy preset's rate times this, capped. */
export const SWARM_HIGH_FACTOR = 10;
export const SWARM_RATE_MAX = 0.3;

/** The kinds swarm switches on and off: those of the `default` preset, in `FAULT_KINDS` order. */
export const SWARM_KINDS: readonly FaultKind[] = FAULT_KINDS.filter((kind) => FAULTS_DEFAULT[kind] !== undefined);

/** A seed's swarm configuration, and which kind (if any) it turned up high. */
export interface SwarmFaults {
  readonly config: FaultConfig;
  readonly high: FaultKind | undefined;
}

function withRate(rule: FaultRule | undefined, rate: number): FaultRule {
  return { ...rule, rate: Math.min(SWARM_RATE_MAX, Number(rate.toPrecision(3))) };
}

/** The fault configuration seed `seed` runs with under `--faults swarm`. */
export function swarmFaults(seed: number): SwarmFaults {
  // Its own stream: the simulation's streams (faults, latency, crashes) are untouched.
  const prng = new Prng(String(seed), 'cli/swarm-faults');
  if (prng.next() < SWARM_NO_FAULTS_SHARE) return { config: {}, high: undefined };
  const config: { [K in FaultKind]?: FaultRule } = {};
  const on: FaultKind[] = [];
  for (const kind of SWARM_KINDS) {
    const enabled = prng.next() < SWARM_KIND_ON_SHARE;
    const exponent = SWARM_RATE_EXPONENT_MIN + prng.next() * (SWARM_RATE_EXPONENT_MAX - SWARM_RATE_EXPONENT_MIN);
    if (!enabled) continue;
    const base = FAULTS_DEFAULT[kind];
    config[kind] = withRate(base, (base?.rate ?? 0.001) * 10 ** exponent);
    on.push(kind);
  }
  let high: FaultKind | undefined;
  const turnUp = prng.next() < SWARM_HIGH_SHARE;
  const pick = on.length === 0 ? 0 : prng.below(on.length);
  if (turnUp && on.length > 0) {
    high = on[pick]!;
    config[high] = withRate(FAULTS_HEAVY[high], (FAULTS_HEAVY[high]?.rate ?? 0.01) * SWARM_HIGH_FACTOR);
  }
  return { config, high };
}

/** One line for a failure report: which kinds were on, at which rates. */
export function formatSwarmFaults(seed: number): string {
  const { config, high } = swarmFaults(seed);
  const parts = FAULT_KINDS.filter((kind) => config[kind] !== undefined).map((kind) => `${kind} ${config[kind]!.rate}${kind === high ? ' (high)' : ''}`);
  return `swarm faults of seed ${seed}: ${parts.length === 0 ? 'none (a fault-free seed)' : parts.join(', ')}`;
}
