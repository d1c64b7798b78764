/**
 * `simulationTest`: a property-style test over many simulation seeds, in the user's own test
 * runner (node:test, vitest, mocha), with fast-check's ergonomics for failures: the failing seed,
 * the tail of its trace and a one-line replay command (`FAULTLINE_SEED=<seed> <the same command>`).
 *
 * It registers one test that runs the seeds in order, each in a fresh {@link Simulation}, and
 * stops at the first failure. `FAULTLINE_SEED` runs that one seed only.
 */
import { StorageError } from '../interfaces/errors.js';
import { snapshotOptions } from '../interfaces/validate.js';
import { Simulation, type SimNode } from '../backends/sim/simulation.js';
import type { FaultConfig, FaultPresetName } from '../backends/sim/faults.js';
import type { SimProfile } from '../backends/sim/disk.js';
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
const SEEDS_DEFAULT = 100;
const SEED_COUNT_MAX = 10_000_000;
const TRACE_EVENTS_DEFAULT = 20;
const TIMEOUT_DEFAULT_MS = 300_000;

function invalid(message: string, argument: string): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `simulationTest: ${message}`, { operation: 'simulationTest', argument });
}

function seedList(seeds: number | readonly number[] | undefined): readonly number[] {
  const fromEnv = process.env['FAULTLINE_SEED'];
  if (fromEnv !== undefined && fromEnv !== '') {
    const seed = Number(fromEnv);
    if (!Number.isSafeInteger(seed)) throw invalid('FAULTLINE_SEED must be an integer', 'FAULTLINE_SEED');
    return [seed];
  }
  if (seeds === undefined) return Array.from({ length: SEEDS_DEFAULT }, (_, i) => i + 1);
  if (typeof seeds === 'number') {
    if (!Number.isSafeInteger(seeds) || seeds < 1 || seeds > SEED_COUNT_MAX) throw invalid(`seeds must be a count in 1..${SEED_COUNT_MAX} or an array of integers`, 'seeds');
    return Array.from({ length: seeds }, (_, i) => i + 1);
  }
  if (!Array.isArray(seeds) || seeds.length === 0 || !seeds.every((seed) => Number.isSafeInteger(seed))) {
    throw invalid('seeds must be a count or a non-empty array of integers', 'seeds');
  }
  return seeds;
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
  const profile = options.profile ?? 'posix';
  const faults = options.faults ?? 'none';
  const traceEvents = options.traceEvents ?? TRACE_EVENTS_DEFAULT;
  const runs = testRunner('simulationTest', options.timeoutMs ?? TIMEOUT_DEFAULT_MS, runner);
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
