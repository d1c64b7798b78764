/**
 * `simulationTest`: a property-style test over many simulation seeds, in the user's own test
 * runner (node:test, vitest, mocha), with fast-check's ergonomics for failures: the failing seed,
 * the tail of its trace and a one-line replay command (`FAULTLINE_SEED=<seed> <the same command>`).
 *
 * It registers one test that runs the seeds in order, each in a fresh {@link Simulation}, and
 * stops at the first failure. `FAULTLINE_SEED` runs that one seed only.
 */
import { StorageError, isStorageError } from '../interfaces/errors.js';
import { checkUnsigned, readCallerValue, snapshotOptions } from '../interfaces/validate.js';
import { Simulation, TRACE_CAPACITY_MAX, type SimNode } from '../backends/sim/simulation.js';
import { checkFaultConfig, type FaultConfig, type FaultPresetName } from '../backends/sim/faults.js';
import { checkSimProfile, type SimProfile } from '../backends/sim/disk.js';
import { replayCommand } from './replay.js';
import { testRunner, type TestRunnerFunctions } from './runner.js';

/** Options of {@link simulationTest}. */
export interface SimulationTestOptions {
  /** How many seeds (1..N), or the seeds themselves. Default 100. */
  readonly seeds?: number | readonly number[];
  /** The crash profile of every node's disk (default `'posix'`, the most adversarial). */
  readonly profile?: SimProfile;
  /** Fault rules or a preset (default `'none'`). */
  readonly faults?: FaultConfig | FaultPresetName;
  /** Trace events shown with a failure (default 20). */
  readonly traceEvents?: number;
  /** Timeout of the whole test, all seeds together (default 300,000 ms). */
  readonly timeoutMs?: number;
}

/** What the test body receives, once per seed. */
export interface SimulationTestContext {
  readonly seed: number;
  /** The seed's simulation: its clock, trace, faults, `random()`, `hash()`. */
  readonly sim: Simulation;
  /** The simulated machine called `name` (created on first use, each with its own disk). */
  node(name: string): SimNode;
}

const OPTION_NAMES = ['seeds', 'profile', 'faults', 'traceEvents', 'timeoutMs'] as const;
const OPERATION = 'simulationTest';
const SEEDS_DEFAULT = 100;
/** Most seeds one test runs (a count, or the length of a list). */
export const SIMULATION_TEST_SEEDS_MAX = 10_000_000;
const TRACE_EVENTS_DEFAULT = 20;
const TIMEOUT_DEFAULT_MS = 300_000;
/** Longest timeout: what a timer can wait (2^31-1 ms, about 24.8 days). */
const TIMEOUT_MS_MAX = 2 ** 31 - 1;

function invalid(message: string, argument: string, details: Record<string, unknown> = {}): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `${OPERATION}: ${message}`, { operation: OPERATION, argument, ...details });
}

/** A count from 1 to `max`: ERR_INVALID_ARGUMENT for anything but a positive integer, ERR_LIMIT_EXCEEDED past `max`. */
function checkCount(argument: string, value: unknown, max: number): number {
  if (checkUnsigned(OPERATION, argument, value, max) === 0) throw invalid(`${argument} must be a positive integer`, argument);
  return value as number;
}

/**
 * The seeds to run, as a list of our own. A list the caller gave is copied here, element by element
 * (each read once, through a Proxy or a getter too): the test runs later, and a list emptied or
 * changed after registration must not make it run other seeds than it checked, or none and pass.
 */
function seedList(seeds: unknown): readonly number[] {
  const fromEnv = process.env['FAULTLINE_SEED'];
  if (fromEnv !== undefined && fromEnv !== '') {
    // Decimal digits only: the replay line prints the seed that way, and `0x10` or `1e3` are typos, not seeds.
    if (!/^-?[0-9]{1,16}$/.test(fromEnv) || !Number.isSafeInteger(Number(fromEnv))) throw invalid('FAULTLINE_SEED must be an integer in decimal digits', 'FAULTLINE_SEED');
    return [Number(fromEnv)];
  }
  if (seeds === undefined) return Array.from({ length: SEEDS_DEFAULT }, (_, i) => i + 1);
  if (typeof seeds === 'number') {
    const count = checkCount('seeds', seeds, SIMULATION_TEST_SEEDS_MAX);
    return Array.from({ length: count }, (_, i) => i + 1);
  }
  const read = (get: () => unknown): unknown => readCallerValue(OPERATION, get, 'seeds', 'seeds');
  if (read(() => Array.isArray(seeds)) !== true) throw invalid('seeds must be a count or a non-empty array of integers', 'seeds');
  const list = seeds as readonly unknown[];
  const length = read(() => list.length) as number;
  if (length === 0) throw invalid('seeds must be a count or a non-empty array of integers', 'seeds');
  checkCount('seeds.length', length, SIMULATION_TEST_SEEDS_MAX);
  const copy: number[] = [];
  for (let index = 0; index < length; index++) {
    const seed = read(() => list[index]);
    if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw invalid('seeds must be a count or a non-empty array of integers', 'seeds', { index });
    copy.push(seed);
  }
  return copy;
}

/**
 * The fault configuration, checked and copied now (as each seed's Simulation would check it),
 * so that a bad one fails at registration naming simulationTest, and a rule changed after
 * registration changes nothing.
 */
function checkFaults(faults: unknown): FaultConfig | FaultPresetName {
  try {
    const config = checkFaultConfig(faults);
    return typeof faults === 'string' ? (faults as FaultPresetName) : config;
  } catch (err) {
    if (!isStorageError(err)) throw err;
    const reason = err.message.replace(/^faults: /, '');
    throw new StorageError(err.code, `${OPERATION}: options.faults is not a fault configuration or preset: ${reason}`, { ...err.details, operation: OPERATION, argument: 'faults' }, { cause: err });
  }
}

/**
 * Registers `name` as one test in the current runner (or the one given as `runner`, e.g.
 * `{ describe, it }` from `node:test` or `vitest`) that runs `body` once per seed inside
 * `sim.run`. A seed fails when `body` rejects (or the simulation deadlocks or hits its time limit);
 * the error then names the seed, shows the trace tail and the replay command, with the original
 * error as its `cause`.
 */
export function simulationTest(
  name: string,
  options: SimulationTestOptions,
  body: (ctx: SimulationTestContext) => unknown,
  runner?: TestRunnerFunctions,
): void {
  if (typeof name !== 'string' || name.length === 0) throw invalid('name must be a non-empty string', 'name');
  options = snapshotOptions('simulationTest', options, OPTION_NAMES);
  if (typeof body !== 'function') throw invalid('body must be a function', 'body');
  const seeds = seedList(options.seeds);
  // Checked now, as each seed's Simulation would: a bad value fails at registration, naming this call.
  const profile = checkSimProfile(OPERATION, options.profile ?? 'posix');
  const faults = checkFaults(options.faults ?? 'none');
  const traceEvents = options.traceEvents === undefined ? TRACE_EVENTS_DEFAULT : checkUnsigned(OPERATION, 'traceEvents', options.traceEvents, TRACE_CAPACITY_MAX);
  const timeoutMs = options.timeoutMs === undefined ? TIMEOUT_DEFAULT_MS : checkCount('timeoutMs', options.timeoutMs, TIMEOUT_MS_MAX);
  const runs = testRunner(OPERATION, timeoutMs, runner);
  const faultsLabel = typeof faults === 'string' ? faults : 'custom';
  const title = seeds.length === 1 ? `${name} (seed ${String(seeds[0])})` : `${name} (${seeds.length} seeds)`;

  runs.it(title, async () => {
    for (const seed of seeds) {
      const sim = new Simulation({ seed, profile, faults });
      const ctx: SimulationTestContext = { seed, sim, node: (nodeName) => sim.node(nodeName) };
      try {
        await sim.run(() => body(ctx));
      } catch (error) {
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        const lines = [
          `simulationTest '${name}' failed at seed ${seed} (profile ${profile}, faults ${faultsLabel}): ${reason}`,
          `last ${traceEvents} trace events:`,
          sim.trace.format(traceEvents),
          `replay: ${replayCommand({ FAULTLINE_SEED: String(seed) }, name)}`,
        ];
        throw new Error(lines.join('\n'), { cause: error });
      }
    }
  });
}
