/**
 * The `io` argument of `openScratch` and `sweepScratch`, checked and snapshotted before anything
 * is done with it.
 *
 * Every member scratch uses is read exactly once, through `readCallerValue`, and kept: the
 * methods bound to the caller's object, the feature flags as plain values. A getter or Proxy trap
 * that throws is then `ERR_INVALID_ARGUMENT` at the call instead of a raw error halfway through an
 * open (with a file created and nobody left to remove it), and one that changes its answer later
 * cannot make the region use an Io other than the one that was checked.
 */
import { StorageError } from '../interfaces/errors.js';
import type { Io, IoFeatures } from '../interfaces/io.js';
import { readCallerValue, readIoMethods } from '../interfaces/validate.js';

/** The Io methods a scratch call may use. */
export type ScratchIoMethod = 'open' | 'close' | 'read' | 'write' | 'allocate' | 'allocAligned' | 'stat' | 'unlink' | 'mkdir' | 'readdir' | 'fsync';

/** What `openScratch` may call, whichever file and mode it ends up with. */
export const OPEN_METHODS: readonly ScratchIoMethod[] = [
  'open', 'close', 'read', 'write', 'allocate', 'allocAligned', 'stat', 'unlink', 'mkdir', 'readdir', 'fsync',
];
/** What `sweepScratch` may call: list, unlink, and fsync the directory. */
export const SWEEP_METHODS: readonly ScratchIoMethod[] = ['readdir', 'unlink', 'open', 'fsync', 'close'];

/**
 * The part of an {@link Io} scratch uses. An Io has this shape, so a region can also be built on
 * one directly; `openScratch` builds it with {@link checkScratchIo}.
 */
export type ScratchIo = Pick<Io, ScratchIoMethod> & {
  readonly features: IoFeatures;
  readonly clock: { now(): number };
};

// The engine's `bind`, captured at load: a method the caller hands over may carry a `bind` of its own.
const bindFunction = Function.prototype.call.bind(Function.prototype.bind) as (fn: unknown, self: unknown) => (...args: never[]) => unknown;

function invalidIo(operation: string, message: string, details: Record<string, unknown> = {}): StorageError {
  return new StorageError('ERR_INVALID_ARGUMENT', `${operation}: ${message}`, { operation, argument: 'io', ...details });
}

function isPowerOfTwo(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 2 ** 30 && (value & (value - 1)) === 0;
}

/**
 * Checks that `value` is an object with the `methods` (functions) and, for `openScratch`, the
 * `features` and `clock.now` that scratch needs, and returns their snapshot. `ERR_INVALID_ARGUMENT`
 * naming `io` otherwise: the malformed member in `details.member`, or the member whose getter or
 * trap threw in the message (the thrown error as `cause`).
 */
export function checkScratchIo(operation: string, value: unknown, methods: readonly ScratchIoMethod[], withFeatures: boolean): ScratchIo {
  const methodsRead = readIoMethods(operation, value, methods);
  const read = (member: string, get: () => unknown): unknown => readCallerValue(operation, get, 'io', `io's ${member}`);
  const caller = value as Record<string, unknown>;
  const snapshot: Record<string, unknown> = {};
  for (const name of methods) snapshot[name] = bindFunction(methodsRead[name], value);
  if (withFeatures) {
    snapshot['features'] = checkFeatures(operation, read('features', () => caller['features']));
    const clock = read('clock', () => caller['clock']);
    if (typeof clock !== 'object' || clock === null) throw invalidIo(operation, 'io.clock must be a Clock', { member: 'clock' });
    const now = read('clock', () => (clock as Record<string, unknown>)['now']);
    if (typeof now !== 'function') throw invalidIo(operation, 'io.clock.now must be a function', { member: 'clock.now' });
    snapshot['clock'] = { now: bindFunction(now, clock) };
  }
  return snapshot as ScratchIo;
}

function checkFeatures(operation: string, features: unknown): IoFeatures {
  if (typeof features !== 'object' || features === null) throw invalidIo(operation, 'io.features must be an object', { member: 'features' });
  const read = (key: string): unknown => readCallerValue(operation, () => (features as Record<string, unknown>)[key], 'io', `io's features`);
  const direct = read('direct');
  const tmpfile = read('tmpfile');
  const directAlignmentBytes = read('directAlignmentBytes');
  const backend = read('backend');
  if (typeof backend !== 'string') throw invalidIo(operation, 'io.features.backend must be a string', { member: 'features.backend' });
  if (typeof direct !== 'boolean') throw invalidIo(operation, 'io.features.direct must be a boolean', { member: 'features.direct' });
  if (typeof tmpfile !== 'boolean') throw invalidIo(operation, 'io.features.tmpfile must be a boolean', { member: 'features.tmpfile' });
  // Only direct I/O uses the alignment (it becomes the unit of the slot granularity), so an Io
  // without it may report anything there.
  if (direct && !isPowerOfTwo(directAlignmentBytes)) {
    throw invalidIo(operation, 'io.features.directAlignmentBytes must be a power of two', { member: 'features.directAlignmentBytes' });
  }
  return { backend, direct, tmpfile, directAlignmentBytes: isPowerOfTwo(directAlignmentBytes) ? directAlignmentBytes : 1 };
}
