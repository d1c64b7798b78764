/**
 * The library side of the determinism check: run the same main on two simulations built from
 * the same options and compare their hashes.
 */
import { StorageError } from '../interfaces/errors.js';
import type { Simulation } from '../backends/sim/simulation.js';
import { findDivergence, nondeterminismError } from './divergence.js';

type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function settle<T>(sim: Simulation, main: (sim: Simulation) => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await sim.run(() => main(sim)) };
  } catch (error) {
    return { ok: false, error };
  } finally {
    sim.close();
  }
}

/** See `Simulation.checkDeterminism`. */
export async function runTwice<T>(first: Simulation, makeTwin: () => Simulation, main: (sim: Simulation) => T | Promise<T>): Promise<T> {
  if (typeof main !== 'function') {
    throw new StorageError('ERR_INVALID_ARGUMENT', 'checkDeterminism needs a function main(sim)', { operation: 'checkDeterminism', argument: 'main' });
  }
  if (first.trace.length > 0 || first.nodes.length > 0) {
    throw new StorageError('ERR_INVALID_STATE', 'checkDeterminism needs a fresh simulation (main must create its nodes itself, so the second run can repeat it)', { operation: 'checkDeterminism' });
  }
  const one = await settle(first, main);
  const twin = makeTwin();
  const two = await settle(twin, main);
  const hashes: [string, string] = [first.hash(), twin.hash()];
  if (hashes[0] !== hashes[1]) {
    throw nondeterminismError('checkDeterminism', hashes, findDivergence(first.trace, twin.trace));
  }
  void two;
  if (!one.ok) throw one.error;
  return one.value;
}
