/**
 * Runs an unmodified file writer on a simulated node with interception, cuts the power right
 * after its write resolved, and classifies every disk state that power cut can leave:
 *
 * - durability: does every state hold the new content?
 * - atomicity: does every state hold either the old or the new content (never a missing, empty or
 *   partial file)?
 *
 * The old content is first written with the correct atomic writer, so it is durable before the
 * writer under test starts.
 */
import { Simulation, type SimProfile } from '../../src/backends/sim/index.js';
import { writeFileAtomicDurable } from './atomic-write.js';

/** What one writer left across the crash states. */
export interface CrashReport {
  readonly writer: string;
  readonly profile: SimProfile;
  /** Distinct crash states enumerated. */
  readonly states: number;
  /** True when the enumeration covered every reachable state. */
  readonly complete: boolean;
  /** States holding the new content, the old one, no file, or anything else (empty, torn). */
  readonly outcomes: { readonly new: number; readonly old: number; readonly missing: number; readonly other: number };
  /** Sizes in bytes of the target in the `other` states (0: an empty file), sorted. */
  readonly otherSizesBytes: readonly number[];
  /** Every state holds the new content. */
  readonly durable: boolean;
  /** Every state holds old or new content. */
  readonly atomic: boolean;
}

export const TARGET_PATH = '/data/state.json';
export const OLD_CONTENT = JSON.stringify({ version: 1, note: 'the old content, already durable' });
export const NEW_CONTENT = JSON.stringify({ version: 2, note: 'the new content the writer was asked to save', padding: 'x'.repeat(6000) });

/** Crash states enumerated at most per writer. */
export const CRASH_STATES_MAX = 4096;

/**
 * `write(path, text)` is the writer under test, called inside `node.within`, so its `node:fs`
 * calls reach the simulated disk. It must resolve when the writer says the data is saved.
 */
export async function crashCheck(writer: string, write: (path: string, text: string) => Promise<void>, profile: SimProfile = 'posix', seed = 1): Promise<CrashReport> {
  const sim = new Simulation({ seed, profile, intercept: true });
  try {
    const node = sim.node('app');
    await sim.run(async () => {
      await node.within(async () => {
        const { mkdir, open } = await import('node:fs/promises');
        await mkdir('/data');
        const root = await open('/', 'r');
        await root.sync();
        await root.close();
        await writeFileAtomicDurable(TARGET_PATH, OLD_CONTENT);
      });
      await node.within(() => write(TARGET_PATH, NEW_CONTENT));
    });
    node.crash();
    const states = node.crashStates({ limit: CRASH_STATES_MAX });
    const outcomes = { new: 0, old: 0, missing: 0, other: 0 };
    const otherSizesBytes: number[] = [];
    const decoder = new TextDecoder();
    for (const state of states) {
      const bytes = state.readFile(TARGET_PATH.slice(1));
      if (bytes === undefined) outcomes.missing++;
      else if (decoder.decode(bytes) === NEW_CONTENT) outcomes.new++;
      else if (decoder.decode(bytes) === OLD_CONTENT) outcomes.old++;
      else {
        outcomes.other++;
        otherSizesBytes.push(bytes.byteLength);
      }
    }
    return {
      writer, profile, states: states.length, complete: states.complete, outcomes, otherSizesBytes: otherSizesBytes.sort((a, b) => a - b),
      durable: outcomes.new === states.length,
      atomic: outcomes.new + outcomes.old === states.length,
    };
  } finally {
    sim.close();
  }
}
