/** Helpers shared by the simulator's fault tests. */
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';
import type { Simulation } from '../../src/backends/sim/index.js';
import type { Io } from '../../src/interfaces/io.js';
import { isStorageError } from '../../src/interfaces/errors.js';

/**
 * A one-line command that replays a failing seed of a test file. Works from the sources and
 * from the compiled `dist/` tree (the path is taken from the running module's URL).
 */
export function replayCommand(moduleUrl: string, seed: number | string, grep?: string): string {
  const file = relative(process.cwd(), fileURLToPath(moduleUrl));
  const runner = file.endsWith('.ts') ? 'npx mocha --import=tsx' : 'npx mocha';
  const g = grep === undefined ? '' : ` -g ${JSON.stringify(grep)}`;
  return `FAULTLINE_SEED=${JSON.stringify(String(seed))} ${runner} ${file}${g}`;
}

/** Runs `body` for `seed`; on failure, rethrows with the seed and the replay command in the message. */
export async function withSeed<T>(moduleUrl: string, seed: number | string, grep: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const wrapped = new Error(`seed ${String(seed)} failed: ${why}\n  replay: ${replayCommand(moduleUrl, seed, grep)}`);
    (wrapped as { cause?: unknown }).cause = err;
    throw wrapped;
  }
}

/** The seeds a determinism/campaign test should use: `FAULTLINE_SEED` alone when set. */
export function seedsFor(count: number, base = 1): (number | string)[] {
  const fixed = process.env['FAULTLINE_SEED'];
  if (fixed !== undefined && fixed !== '') return [/^-?\d+$/.test(fixed) ? Number(fixed) : fixed];
  return Array.from({ length: count }, (_, i) => base + i);
}

/** Count of trace records of one fault kind (the whole held trace). */
export function faultCount(sim: Simulation, kind: string): number {
  return sim.trace.filter('fault').filter((e) => e.what === kind).length;
}

/** Writes all of `data` at `offsetBytes`, looping over short writes. */
export async function writeAll(io: Io, fd: number, data: Uint8Array, offsetBytes: number): Promise<void> {
  let done = 0;
  for (let attempt = 0; done < data.byteLength; attempt++) {
    if (attempt > 10_000) throw new Error('writeAll made no progress');
    done += await io.write(fd, data.subarray(done), offsetBytes + done);
  }
}

/** Reads exactly `lengthBytes` (or to the end of file), looping over short reads. */
export async function readAll(io: Io, fd: number, offsetBytes: number, lengthBytes: number): Promise<Uint8Array> {
  const out = new Uint8Array(lengthBytes);
  let done = 0;
  for (let attempt = 0; done < lengthBytes; attempt++) {
    if (attempt > 10_000) throw new Error('readAll made no progress');
    const n = await io.read(fd, out.subarray(done), offsetBytes + done);
    if (n === 0) break;
    done += n;
  }
  return out.subarray(0, done);
}

/** The error code of a rejected promise, or 'ok'. */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    if (isStorageError(err)) return err.code;
    throw err;
  }
}

export function filled(lengthBytes: number, value: number): Uint8Array {
  return new Uint8Array(lengthBytes).fill(value);
}

/** Number of differing bits between two equal-length arrays. */
export function bitDiff(a: Uint8Array, b: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < a.length; i++) {
    let x = ((a[i] as number) ^ (b[i] as number)) & 0xff;
    while (x !== 0) { bits += x & 1; x >>= 1; }
  }
  return bits;
}
