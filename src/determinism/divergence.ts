/**
 * Where two runs of the same seed part ways: the first trace record that differs, with its
 * position. Used by `sim.checkDeterminism` and by `faultline sim|replay --check-determinism`.
 *
 * The trace keeps only its last `traceCapacity` records (the hash covers all of them), so the
 * comparison starts at the oldest record both runs still hold; when the runs already differ there,
 * the report says the first difference is at or before that position.
 */
import { StorageError } from '../interfaces/errors.js';
import { formatEvent, type Trace } from '../backends/sim/trace.js';

/** What a determinism check found. */
export interface Divergence {
  /** Index of the first record that differs (or where one trace ends), undefined when the traces agree. */
  readonly position: number | undefined;
  /** True when records before `position` were no longer held, so the runs may differ earlier. */
  readonly atOrBefore: boolean;
  /** The record of the first run at `position` ('(end of trace)' if it has none). */
  readonly first: string | undefined;
  /** The record of the second run at `position`. */
  readonly second: string | undefined;
  /** Trace lengths of both runs. */
  readonly lengths: readonly [number, number];
}

const END = '(end of trace)';

/** Compares two traces record by record, from the oldest record both still hold. */
export function findDivergence(a: Trace, b: Trace): Divergence {
  const ea = a.events();
  const eb = b.events();
  const startA = ea[0]?.index ?? a.length;
  const startB = eb[0]?.index ?? b.length;
  const start = Math.max(startA, startB);
  const end = Math.max(a.length, b.length);
  const lengths: [number, number] = [a.length, b.length];
  for (let index = start; index < end; index++) {
    const ra = ea[index - startA];
    const rb = eb[index - startB];
    const fa = ra === undefined ? END : formatEvent(ra);
    const fb = rb === undefined ? END : formatEvent(rb);
    if (fa !== fb) return { position: index, atOrBefore: index === start && start > 0, first: fa, second: fb, lengths };
  }
  return { position: undefined, atOrBefore: false, first: undefined, second: undefined, lengths };
}

/** One line per fact, for reports. */
export function describeDivergence(d: Divergence): string[] {
  if (d.position === undefined) {
    return ['the traces agree record for record; the clock or the durable disk state at the end differs'];
  }
  return [
    `first differing trace record: #${d.position}${d.atOrBefore ? ' (earlier records were not kept: the first difference is at or before it)' : ''}`,
    `  run 1: ${d.first ?? END}`,
    `  run 2: ${d.second ?? END}`,
  ];
}

/** The error of a seed whose two runs differed. */
export function nondeterminismError(operation: string, hashes: readonly [string, string], d: Divergence): StorageError {
  const where = d.position === undefined ? 'the traces agree but the final state differs' : `they first differ at trace record #${d.position}`;
  return new StorageError('ERR_NONDETERMINISM',
    `${operation}: two runs of the same seed gave different hashes; ${where} (the code under test reads time, randomness or I/O outside the simulation)`,
    { operation, hashes: [...hashes], position: d.position, atOrBefore: d.atOrBefore, first: d.first, second: d.second, traceLengths: [...d.lengths] });
}
